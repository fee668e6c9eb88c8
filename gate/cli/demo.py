"""`playdash-gate demo`: the whole gate, for real, against the bundled simulator (no account needed)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gate.cli.console import Console, colour
from gate.cli.parser import DEMO_REFUSES
from gate.cli.run import ended, gate, reporters
from gate.cli.sinks import report_everywhere
from gate.cli.verdict import build_outcome
from gate.clock import REAL, Clock
from gate.errors import SetupError
from gate.outcome import Observed
from gate.report.text import duration
from gate.settings import OPTIONS, Sources, optional_path
from gate.settings.sources import MAX_DURATION, OPTIONS_BY_DEST, action_input_names
from gate.simulator.library import EXAMPLES, choose, example_names
from gate.simulator.scenarios import Scenario, ScenarioError, SimRun
from gate.simulator.schema import SHIPPED
from gate.simulator.server import Simulator

# The settings that name a server, a run, a key or a pull request, which the demo refuses.
TARGET = DEMO_REFUSES
# The settings read from the environment too (as flags they are always read): where the reports go.
REPORTS = ("json_file", "junit_file", "markdown_file", "comment_file")
# The longest the built-in demo run may take (`--seconds`).
DEFAULT_SECONDS = 4.0
# How long the built-in run takes when the action's `demo` input asks for it.
ACTION_SECONDS = 3.0


def _variables(dest: str) -> list[str]:
    """The environment variables a setting may come by: PLAYDASH_* and the action's INPUT_*."""
    option = OPTIONS_BY_DEST[dest]
    names = [option.env] if option.env else []
    return names + (list(action_input_names(option.input)) if option.input else [])


@dataclass(frozen=True)
class Play:
    """What the demo is asked to play: the built-in run (failing or not, taking `seconds`), or a scenario by
    its name or path; or only to list the scenarios."""

    failing: bool = False
    seconds: float | None = None
    scenario: str | None = None
    listing: bool = False

    @classmethod
    def asked(cls, args: argparse.Namespace) -> Play:
        """What `playdash-gate demo` is asked by its flags."""
        return cls(args.failing, args.seconds, args.scenario, args.list)

    @classmethod
    def of_the_action(cls, *, failing: bool) -> Play:
        """What the action's `demo` input asks: the built-in run, passing or failing, in ACTION_SECONDS."""
        return cls(failing=failing, seconds=ACTION_SECONDS)


@dataclass(frozen=True)
class _Plan:
    """What the demo plays and gates: the scenario, the run named (as variables), its config, its banner."""

    scenario: Scenario
    target: dict[str, str]
    config: str | None
    banner: str


def demo(
    args: argparse.Namespace,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    *,
    play: Play,
    clock: Clock = REAL,
) -> int:
    """Start the simulator with a scenario (by default a run that finishes in a few seconds), and gate it for real
    (`args`: the gate's own flags, which the demo keeps but those naming a server, a run or a key); the
    simulator's runs take their time by `clock`, as the gate does."""
    if play.listing:
        _list(out)
        return 0
    flags = argparse.Namespace(
        **{option.dest: getattr(args, option.dest, None) for option in OPTIONS}, debug=args.debug
    )
    try:
        plan = _plan(args, play)
    except SetupError as error:
        console = Console(out, err, None)
        outcome = build_outcome(None, error, Observed(), None, None)
        ran_out = report_everywhere(
            outcome, reporters(Sources(flags=vars(flags), env=env), console, colour(env, out)), console
        )
        return ended(outcome, ran_out, console)
    if plan.config and flags.config in (None, ""):
        flags.config = plan.config  # the scenario's thresholds file, unless --config names one to try on it
    ignored = [name for dest in TARGET for name in _variables(dest) if env.get(name, "").strip()]
    kept = {name for dest in REPORTS for name in _variables(dest)}
    longest = max([0.0, *(run.finish_after_seconds for run in plan.scenario.runs)])
    with Simulator(plan.scenario, clock=clock.monotonic) as simulator:
        demo_env = {
            key: value for key, value in env.items() if key in kept or not key.startswith(("PLAYDASH_", "INPUT_"))
        }
        demo_env.update(
            {
                **plan.target,
                "PLAYDASH_API_KEY": plan.scenario.api_key,
                "PLAYDASH_BASE_URL": simulator.base_url,
                "PLAYDASH_POLL_INTERVAL": "0.5s",
                "PLAYDASH_MAX_POLL_INTERVAL": "1s",
                "PLAYDASH_TIMEOUT": f"{min(MAX_DURATION, max(60.0, longest + 60)):g}s",
            }
        )
        if ignored:
            Console.write_to(
                out,
                f"demo: ignoring {', '.join(ignored)}: the demo talks only to its own simulator, with its own key\n",
            )
        # Printed as report text: a description is made one inert line, as any text from a file is.
        Console(out, err, None).print(plan.banner.replace("{url}", simulator.base_url))
        code = gate(flags, demo_env, out, err, stdin, clock=clock)
    _say_where_the_reports_went(Sources(flags=vars(flags), env=demo_env), out)
    return code


def _plan(args: argparse.Namespace, play: Play) -> _Plan:
    """The built-in run, or the scenario asked for; a SetupError for a flag refused or a scenario unusable."""
    given = [str(OPTIONS_BY_DEST[dest].flag) for dest in TARGET if getattr(args, dest, None) not in (None, "")]
    if given:
        raise SetupError(
            f"demo: {', '.join(given)}: the demo talks only to its own simulator, never to another server or run; "
            "drop the flag, or run `playdash-gate` without `demo` to gate a real run"
        )
    choice = play.scenario
    if choice is None:
        seconds = DEFAULT_SECONDS if play.seconds is None else play.seconds
        counts = {"passed": 36, "failed": 3} if play.failing else {"passed": 38}
        # The run reports the duration the demo announces.
        run = SimRun(
            counts={**counts, "flaky": 1, "skipped": 2}, finish_after_seconds=seconds, duration=seconds, specs=6
        )
        return _Plan(
            Scenario(runs=[run], api_key="demo-key"),
            {"PLAYDASH_PROJECT_ID": run.project_id, "PLAYDASH_RUN_ID": run.run_id},
            None,
            f"demo: a simulated NeetoPlaydash on {{url}}, a run finishing in {duration(seconds)}",
        )
    if play.failing or play.seconds is not None:
        raise SetupError(
            "demo: --failing and --seconds shape the built-in demo run, and a scenario sets its own: "
            "drop them, or drop --scenario"
        )
    try:
        chosen = choose(choice)
        target = _target(chosen.scenario, chosen.path)
    except ScenarioError as error:
        # The flag is named with the file: `demo: --scenario mine.json: runs[0].counts: ...`.
        source = error.source if error.source.startswith("--scenario") else f"--scenario {error.source}"
        if len(error.problems) == 1:
            raise SetupError(f"demo: {source}: {error.problems[0]}") from None
        listed = "".join(f"\n  - {problem}" for problem in error.problems)
        raise SetupError(f"demo: {source} is not a valid scenario:{listed}") from None
    config = chosen.scenario.demo.get("config")
    return _Plan(
        chosen.scenario,
        target,
        str(chosen.path.parent / config) if config else None,
        f"demo: scenario {chosen.name}: {chosen.scenario.description or 'a scenario of your own'}\n"
        "demo: a simulated NeetoPlaydash on {url}",
    )


def _target(scenario: Scenario, path: Path) -> dict[str, str]:
    """The run the demo gates: `demo.run_id` or `demo.ci_build_id`, else the last run listed."""
    plan = scenario.demo
    problem = ""
    if "run_id" in plan and "ci_build_id" in plan:
        problem = "demo: give run_id or ci_build_id, not both"
    elif not scenario.runs:
        problem = "runs: the list is empty, so there is no run to gate; add one"
    elif "config" in plan and not (path.parent / plan["config"]).is_file():
        problem = f"demo.config: the thresholds file {path.parent / plan['config']} does not exist"
    elif "ci_build_id" in plan:
        # Each project's run of the build: a monorepo's projects are judged in one gate.
        projects = dict.fromkeys(run.project_id for run in scenario.runs if run.ci_build_id == plan["ci_build_id"])
        if projects:
            return {"PLAYDASH_PROJECT_ID": "\n".join(projects), "PLAYDASH_CI_BUILD_ID": plan["ci_build_id"]}
        problem = f"demo.ci_build_id: no run in runs has the ci_build_id {plan['ci_build_id']!r}"
    else:
        run_id = plan.get("run_id", scenario.runs[-1].run_id)
        runs = [run for run in scenario.runs if run.run_id == run_id]
        if runs:
            return {"PLAYDASH_PROJECT_ID": runs[0].project_id, "PLAYDASH_RUN_ID": run_id}
        problem = f"demo.run_id: no run in runs has the run_id {run_id!r}"
    raise ScenarioError([problem], str(path))


def _say_where_the_reports_went(sources: Sources, out: TextIO) -> None:
    written = [
        f"{label} in {path}"
        for dest, label in (
            ("summary_file", "step summary (Markdown)"),
            ("markdown_file", "Markdown"),
            ("json_file", "JSON verdict"),
            ("junit_file", "JUnit XML"),
            ("comment_file", "comment file"),
        )
        if (path := optional_path(sources, dest)) is not None
    ]
    if written:
        Console.write_to(out, f"demo: {', '.join(written)}\n")
    else:
        Console.write_to(out, "demo: to keep the reports, add --summary-file summary.md --json-file verdict.json\n")


def _list(out: TextIO) -> None:
    """The shipped scenarios, each with its one line, and how to write one's own."""
    names = example_names()
    width = max(len(name) for name in names)
    lines = ["Scenarios for `playdash-gate demo --scenario NAME`:"]
    lines += [f"  {name:<{width}}  {Scenario.from_file(EXAMPLES / f'{name}.json').description}" for name in names]
    lines += [
        f"Without --scenario: a run of 41 tests finishing in --seconds (default {DEFAULT_SECONDS:g}); "
        "--failing makes it fail.",
        f"Your own: --scenario PATH.json, a file in the format of {SHIPPED} (the examples are in {EXAMPLES}).",
    ]
    Console.write_to(out, "\n".join(lines) + "\n")
