"""A local fake of NeetoPlaydash's Get run API: a real HTTP server with scripted runs and scripted faults.

The demo, the end-to-end tests and the benchmarks share it. A run progresses with each poll (or with
time), its specs are paginated like the real API's, and faults (429, 5xx, resets, stalls, HTML pages,
truncated bodies, redirects) can be queued for the next requests or drawn at random from a seed.
`scenarios` holds the script (runs, faults), `server` the HTTP server that plays it.

    python -m gate.simulator --port 8080 [--scenario scenario.json] [--latency 0.05]
"""

from __future__ import annotations

from gate.simulator.scenarios import TEST_STATUS_NAMES, Scenario, SimRun
from gate.simulator.server import API_PREFIX, STATISTIC_NAMES, Simulator

__all__ = ["API_PREFIX", "STATISTIC_NAMES", "TEST_STATUS_NAMES", "Scenario", "SimRun", "Simulator"]
