"""The job in steps: locate -> watch -> gather -> evaluate; progress leaves as events to a listener.

`gate.job.judge` runs the steps (`judge_online`, `judge_offline`); `gate.job.events` holds what the job
tells its listener. Nothing is imported here, so that the events can be read without loading the client.
"""
