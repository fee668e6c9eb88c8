"""The flags of `playdash-gate` and its subcommands; each gate flag has its variable (see settings.OPTIONS)."""

from __future__ import annotations

import argparse
import functools
from typing import NoReturn

from gate import __version__
from gate.errors import SetupError
from gate.settings import DEFAULT_CONFIG, OPTIONS


class _Parser(argparse.ArgumentParser):
    """argparse that raises SetupError instead of exiting, so the summary is still written."""

    def error(self, message: str) -> NoReturn:
        raise SetupError(f"{message} (see playdash-gate --help)")


# The longest simulated run `demo --seconds` plays: long enough to watch the polls, short enough to wait for.
MAX_SECONDS = 600.0


def seconds_flag(raw: str) -> float:
    """`demo --seconds`: a number of seconds from 0 to MAX_SECONDS (argparse names the flag in its message)."""
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_SECONDS:  # also NaN
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to {MAX_SECONDS:g} (how long the simulated run takes), not {raw!r}"
        )
    return seconds


# The settings that name a server, a run, a key or a pull request: the demo talks only to its own simulator, with
# its own key (and never comments on a pull request: that would be GitHub, and a simulated verdict). Its parser
# still reads their flags, unlisted, so that it refuses them by name.
DEMO_REFUSES = (
    *("base_url", "subdomain", "project_id", "run_id", "run_url", "ci_build_id", "from_file", "api_key"),
    *("comment", "pull_request", "comment_key"),
)


# The settings `quarantine suggest` refuses as flags: where reports go, the comment, a saved answer and how a
# verdict is enforced. It prints its YAML to stdout, and nothing else anywhere; it names the run as the gate does.
SUGGEST_REFUSES = (
    *("summary_file", "json_file", "rerun_file", "junit_file", "markdown_file", "comment_file"),
    *("comment", "pull_request", "comment_key", "from_file", "mode", "on_unavailable"),
)


def _add_gate_flags(parser: argparse.ArgumentParser, default: object, unlisted: tuple[str, ...] = ()) -> None:
    for option in OPTIONS:
        if option.flag:
            env = f" [env {option.env}]" if option.env and option.env != "GITHUB_STEP_SUMMARY" else ""
            shown = argparse.SUPPRESS if option.dest in unlisted else option.help + env
            action = "append" if option.several else "store"
            parser.add_argument(
                option.flag, dest=option.dest, metavar=option.metavar, default=default, help=shown, action=action
            )
    parser.add_argument(
        "--debug", action="store_true", default=default or False, help="log every request (also RUNNER_DEBUG=1)"
    )


# Built once per process: argparse keeps nothing of a parse in the parser (each parse fills a new Namespace from
# the parser's immutable defaults, and nothing changes the parser once built), and building it costs more than a
# parse (the tests run `main()` thousands of times in one process).
@functools.cache
def build_parser() -> argparse.ArgumentParser:
    """The flags; each has an environment variable (see OPTIONS), and a flag wins over its variable."""
    parser = _Parser(
        prog="playdash-gate",
        description="Wait for a Playwright run reported to NeetoPlaydash to finish, judge it against YAML "
        "thresholds, and exit 0 (passed), 1 (failed), 2 (set-up error) or 3 (no verdict).",
        epilog="The API key is read from PLAYDASH_API_KEY only. Durations: 90, 1.5s, 15m, 1h, 1h30m (at most 24h).",
    )
    parser.add_argument("--version", action="version", version=f"playdash-gate {__version__}")
    _add_gate_flags(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="{demo,validate,quarantine}")
    demo = sub.add_parser(
        "demo",
        help="run the gate against the bundled simulator (no account needed)",
        description="Run the whole gate, for real, against a simulated NeetoPlaydash on this machine: no account, "
        "no key, no network. The built-in run finishes in a few seconds (--failing makes it fail); --scenario "
        "plays an example (see --list) or a scenario file of your own. The gate's flags below apply as they do "
        "to a real run; those naming a server, a run, a key or a pull request are refused.",
        epilog="Examples: playdash-gate demo · playdash-gate demo --failing --summary-file summary.md · "
        "playdash-gate demo --scenario flaky --config my-gate.yml",
    )
    demo.add_argument("--failing", action="store_true", help="simulate a run that fails the gate")
    demo.add_argument("--seconds", type=seconds_flag, help="how long the simulated run takes (default 4, at most 600)")
    demo.add_argument("--scenario", metavar="NAME|PATH", help="an example scenario (see --list) or a scenario file")
    demo.add_argument("--list", action="store_true", help="name the example scenarios, each with what it shows")
    # SUPPRESS: a flag given before `demo` is not overwritten by the subcommand's own default.
    _add_gate_flags(demo, default=argparse.SUPPRESS, unlisted=DEMO_REFUSES)
    validate = sub.add_parser("validate", help="check a thresholds file (no network, no key); exit 0 or 2")
    validate.add_argument("path", nargs="?", help=f"the file (default: {DEFAULT_CONFIG})")
    validate.add_argument("--branch", help="show the policy in force for runs on this branch")
    validate.add_argument("--tags", default="", help="and with these run tags (comma-separated)")
    validate.add_argument(
        "--target-branch", help="and for a change that merges into this branch (a pull request's or merge queue's base)"
    )
    validate.add_argument(
        "--project-id",
        metavar="ID",
        help="and for this project's runs (its `projects:` entry merged over the top level)",
    )
    quarantine = sub.add_parser("quarantine", help="quarantine entries suggested from the tests' history")
    actions = quarantine.add_subparsers(dest="action", metavar="{suggest}", required=True)
    suggest = actions.add_parser(
        "suggest",
        help="print YAML quarantine entries for the unstable failed and flaky tests of a run",
        description="Look up the history (the config's `history` section) of a run's failed and flaky tests and "
        "print, on stdout only, YAML `quarantine:` entries for those that failed or were flaky in at least "
        "--min-rate of at least history.min_runs past runs, most unstable first. The run is named as for the "
        "gate (the same flags and variables); nothing else is written. Exit 0, 2 (set-up error) or 3 (no "
        "history could be looked up).",
        epilog="Example: playdash-gate quarantine suggest --run-id kftwnab --min-rate 25% >> suggested.yml",
    )
    suggest.add_argument(
        "--min-rate", metavar="RATE", help="the least share of past runs failed or flaky (default 20%%)"
    )
    _add_gate_flags(suggest, default=argparse.SUPPRESS, unlisted=SUGGEST_REFUSES)
    return parser
