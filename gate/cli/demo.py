"""`playdash-gate demo`: the whole gate, for real, against the bundled simulator (no account needed)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from gate.cli.console import Console
from gate.cli.run import gate
from gate.settings import OPTIONS, Sources, optional_path


def demo(args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Start the simulator with a run that finishes in a few seconds, and gate it for real."""
    from gate.simulator import Scenario, SimRun, Simulator  # noqa: PLC0415
    from gate.simulator.scenarios import HISTORY_DEMO_CONFIG, history_demo  # noqa: PLC0415

    counts = (
        {"passed": 36, "failed": 3, "flaky": 1, "skipped": 2}
        if args.failing
        else {"passed": 38, "flaky": 1, "skipped": 2}
    )
    scenario = Scenario(runs=[SimRun(counts=counts, finish_after_seconds=args.seconds, specs=6)], api_key="demo-key")
    folder = Path(tempfile.mkdtemp(prefix="playdash-gate-demo-"))
    history = getattr(args, "history", False)
    if history:
        scenario = history_demo(args.seconds)
    with Simulator(scenario) as simulator:
        demo_env = {key: value for key, value in env.items() if not key.startswith(("PLAYDASH_", "INPUT_"))}
        demo_env.update(
            {
                "PLAYDASH_API_KEY": "demo-key",
                "PLAYDASH_BASE_URL": simulator.base_url,
                "PLAYDASH_PROJECT_ID": "pdqmxlz",
                "PLAYDASH_RUN_ID": "kftwnab",
                "PLAYDASH_POLL_INTERVAL": "0.5s",
                "PLAYDASH_MAX_POLL_INTERVAL": "1s",
                "PLAYDASH_TIMEOUT": "60s",
            }
        )
        flags = argparse.Namespace(
            **{option.dest: getattr(args, option.dest, None) for option in OPTIONS},
            debug=args.debug,
        )
        if history and flags.config is None:
            (folder / "playdash-gate.yml").write_text(HISTORY_DEMO_CONFIG, encoding="utf-8")
            flags.config = str(folder / "playdash-gate.yml")
        if flags.summary_file is None and not env.get("GITHUB_STEP_SUMMARY"):
            flags.summary_file = str(folder / "summary.md")
        if flags.json_file is None and env.get("GITHUB_ACTIONS") != "true":
            flags.json_file = str(folder / "verdict.json")
        Console.write_to(
            out, f"demo: a simulated NeetoPlaydash on {simulator.base_url}, a run finishing in {args.seconds:g}s\n"
        )
        code = gate(flags, demo_env, out, err, stdin)
    sources = Sources(flags=vars(flags), env=demo_env)
    Console.write_to(
        out,
        f"demo: step summary (Markdown) in {optional_path(sources, 'summary_file')}, "
        f"JSON verdict in {optional_path(sources, 'json_file')}\n",
    )
    return code
