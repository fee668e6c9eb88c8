"""`python -m gate.simulator`: serve a scenario on a port until interrupted.

python -m gate.simulator --port 8080 [--scenario scenario.json] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from gate.simulator.scenarios import Scenario, ScenarioError
from gate.simulator.server import Simulator

DESCRIPTION = "A local fake of NeetoPlaydash's Get run API: a real HTTP server with scripted runs and scripted faults."


def main(argv: list[str] | None = None) -> int:
    """Serve a scenario until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m gate.simulator", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--scenario", help="a JSON file (its format: scenario.schema.json beside this module)")
    parser.add_argument("--latency", type=float, help="seconds added to every answer")
    args = parser.parse_args(argv)
    scenario = Scenario()
    if args.scenario:
        try:
            scenario = Scenario.from_file(Path(args.scenario))
        except ScenarioError as exc:
            # A typo in the file is a usage error with the key named, not a traceback.
            parser.error(f"--scenario {exc}")
    if args.latency is not None:
        scenario.latency = args.latency
    simulator = Simulator(scenario, args.host, args.port)
    # Ctrl-C and SIGTERM stop it even when started with SIGINT ignored (a background job of a script, a
    # test runner's worker): Python keeps an inherited "ignore" rather than raise KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"simulator on {simulator.base_url} (key {scenario.api_key!r}); Ctrl-C stops it", flush=True)
    try:
        simulator.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
