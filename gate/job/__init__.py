"""The job in steps: locate -> watch -> gather -> evaluate; progress leaves as events to a listener."""

from __future__ import annotations

from gate.job.events import Event, Listener
from gate.job.judge import Judged, judge_offline, judge_online

__all__ = ["Event", "Judged", "Listener", "judge_offline", "judge_online"]
