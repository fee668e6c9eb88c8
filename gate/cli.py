"""The command line: `playdash-gate` waits for a run and gates it; the only place errors become exit codes."""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import NoReturn, TextIO

from gate import __version__
from gate.ci import CiInfo
from gate.ci import detect as detect_ci
from gate.errors import (
    EXIT_FAIL,
    EXIT_PASS,
    ApiUnavailableError,
    CancelledError,
    GateError,
    SetupError,
    StillRunningError,
    UnusableAnswerError,
)
from gate.outcome import Observed, Outcome
from gate.redact import Redactor
from gate.report import github as github_report
from gate.report.text import headline, sanitise
from gate.settings import DEFAULT_CONFIG, OPTIONS, Settings, Sources, optional_path, resolve


class _Parser(argparse.ArgumentParser):
    """argparse that raises SetupError instead of exiting, so the summary is still written."""

    def error(self, message: str) -> NoReturn:
        raise SetupError(f"{message} (see playdash-gate --help)")


def _add_gate_flags(parser: argparse.ArgumentParser, default: object) -> None:
    for option in OPTIONS:
        if option.flag:
            env = f" [env {option.env}]" if option.env and option.env != "GITHUB_STEP_SUMMARY" else ""
            parser.add_argument(
                option.flag, dest=option.dest, metavar=option.metavar, default=default, help=option.help + env
            )
    parser.add_argument(
        "--debug", action="store_true", default=default or False, help="log every request (also RUNNER_DEBUG=1)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The flags; each has an environment variable (see OPTIONS), and a flag wins over its variable."""
    parser = _Parser(
        prog="playdash-gate",
        description="Wait for a Playwright run reported to NeetoPlaydash to finish, judge it against YAML "
        "thresholds, and exit 0 (passed), 1 (failed), 2 (set-up error) or 3 (no verdict).",
        epilog="The API key is read from PLAYDASH_API_KEY only. Durations: 90, 90s, 1.5s, 15m, 1h (at most 24h).",
    )
    parser.add_argument("--version", action="version", version=f"playdash-gate {__version__}")
    _add_gate_flags(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="{demo,validate}")
    demo = sub.add_parser("demo", help="run the gate against the bundled simulator (no account needed)")
    demo.add_argument("--failing", action="store_true", help="simulate a run that fails the gate")
    demo.add_argument("--seconds", type=float, default=4.0, help="how long the simulated run takes (default 4)")
    # SUPPRESS: a flag given before `demo` is not overwritten by the subcommand's own default.
    _add_gate_flags(demo, default=argparse.SUPPRESS)
    validate = sub.add_parser("validate", help="check a thresholds file (no network, no key); exit 0 or 2")
    validate.add_argument("path", nargs="?", help=f"the file (default: {DEFAULT_CONFIG})")
    validate.add_argument("--branch", help="show the policy in force for runs on this branch")
    validate.add_argument("--tags", default="", help="and with these run tags (comma-separated)")
    return parser


class Console:
    """Every line the gate prints goes through here: the key is redacted, no line can be a workflow command."""

    def __init__(self, out: TextIO, err: TextIO, secret: str | None, github: bool = False) -> None:
        self.out, self.err, self.github = out, err, github
        self.redactor = Redactor([secret])

    def redact(self, text: str) -> str:
        """Hide the key in any spelling a sink may give it, wherever it might have crept in."""
        return self.redactor.text(text)

    def print(self, text: str, *, error: bool = False) -> None:
        """Print lines of report text: each made one inert line, and one that would start with `::` defused."""
        lines = [sanitise(line) for line in self.redact(text).split("\n")]
        safe = [("  " + line.replace("::", ":\u200b:")) if line.lstrip().startswith("::") else line for line in lines]
        self.write_to(self.err if error else self.out, "".join(line + "\n" for line in safe))

    def command(self, text: str) -> None:
        """A workflow command of the gate's own (already escaped), printed on one line, and only in Actions."""
        if self.github:
            self.write_to(self.out, sanitise(self.redact(text)) + "\n")

    def mask(self, secret: str) -> None:
        """Ask the runner to hide the secret in all later logs: the first thing printed in Actions."""
        if self.github:
            self.write_to(self.out, "".join(line + "\n" for line in github_report.mask(secret)))

    @staticmethod
    def write_to(stream: TextIO, text: str) -> None:
        """Write and flush; a reader that went away (`| head`) must not change the verdict."""
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            with suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())

    def debug(self, message: str) -> None:
        """A debug line: `::debug::` in Actions, else on stderr."""
        if self.github:
            self.command(github_report.debug(message))
        else:
            self.print(f"debug: {message}", error=True)


def _error_kind(error: GateError) -> str:
    kinds: list[tuple[type[GateError], str]] = [
        (SetupError, "setup"),
        (StillRunningError, "timeout"),
        (CancelledError, "cancelled"),
        (ApiUnavailableError, "unavailable"),
        (UnusableAnswerError, "unusable_answer"),
    ]
    return next((kind for cls, kind in kinds if isinstance(error, cls)), "no_verdict")


@contextmanager
def _signals_cancel() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) and SIGINT stop the gate at once, as a CancelledError."""

    def cancel(signum: int, _frame: FrameType | None) -> None:
        raise CancelledError(f"the gate was cancelled ({signal.Signals(signum).name}) before it reached a verdict")

    try:
        previous = {sig: signal.signal(sig, cancel) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_gate(
    settings: Settings, console: Console, observed: Observed, stdin: TextIO, ci: CiInfo | None, *, started: float
) -> Outcome:
    """Judge the run (from the API, or from a saved answer) and turn the verdict into an Outcome."""
    from gate.config import load_policy  # noqa: PLC0415 - kept out of start-up until the gate really runs
    from gate.deadline import Deadline  # noqa: PLC0415
    from gate.ids import is_id  # noqa: PLC0415
    from gate.job import judge_offline, judge_online  # noqa: PLC0415

    # The deadline counts from the process's start: reading the config is part of the time allowed.
    deadline = Deadline(settings.timeout, started=started)
    observed.elapsed = deadline.elapsed
    policy = load_policy(settings.config_path)
    observed.config_source = policy.source
    today = datetime.datetime.now(datetime.timezone.utc).date()
    ci_branch = ci.branch if ci else None
    if settings.from_file is not None:
        judged = judge_offline(settings, policy, console, observed, stdin, today=today, ci_branch=ci_branch)
    else:
        judged = judge_online(settings, policy, console, observed, today=today, deadline=deadline, ci_branch=ci_branch)
    verdict = judged.verdict
    outcome = Outcome(
        verdict="pass" if verdict.passed else "fail",
        exit_code=EXIT_PASS if verdict.passed else EXIT_FAIL,
        message="",
        version=__version__,
        project_id=settings.project_id or (judged.run.project_id if is_id(judged.run.project_id) else None),
        run_id=observed.run_id,
        run_url=observed.run_url,
        run=judged.run,
        result=verdict,
        failed_tests=judged.failed_tests,
        flaky_tests=judged.flaky_tests,
        config_source=policy.source,
        waited=observed.elapsed(),
        requests=observed.requests(),
        notes=tuple(observed.notes),
    )
    return replace(outcome, message=("gate passed: " if verdict.passed else "gate failed: ") + headline(outcome))


def _error_outcome(error: GateError, observed: Observed, settings: Settings | None = None) -> Outcome:
    return Outcome(
        verdict="error",
        exit_code=error.exit_code,
        message=error.message,
        version=__version__,
        project_id=(observed.run.project_id if observed.run else None) or (settings.project_id if settings else None),
        run_id=observed.run_id or (settings.run_id if settings else None),
        run_url=observed.run_url or (settings.run_url if settings else None),
        run=observed.run,
        config_source=observed.config_source,
        error_kind=_error_kind(error),
        waited=observed.elapsed(),
        requests=observed.requests(),
        notes=tuple(observed.notes),
    )


def _write_reports(outcome: Outcome, sources: Sources, console: Console, colour: bool) -> None:
    """Every report asked for, each on its own: one that breaks is a warning and costs none of the others."""
    from gate.report import console as console_report  # noqa: PLC0415
    from gate.report import json_report, junit, markdown  # noqa: PLC0415

    def console_text() -> None:
        console.print(console_report.render(outcome, colour=colour), error=outcome.verdict == "error")

    def report_file(dest: str, pieces: Callable[[], Iterable[str]], append: bool, what: str) -> Callable[[], None]:
        def write() -> None:
            path = optional_path(sources, dest)
            if path:
                _write(path, pieces(), console, append=append, what=what)

        return write

    def annotations() -> None:
        if console.github:
            for line in github_report.annotation_lines(outcome):
                console.command(line)

    def outputs() -> None:
        output_file = sources.env.get("GITHUB_OUTPUT")
        if console.github and output_file:
            json_file = optional_path(sources, "json_file")
            workspace = sources.env.get("GITHUB_WORKSPACE")
            json_path = github_report.workspace_relative(json_file, workspace) if json_file else ""
            values = github_report.output_values(outcome, json_path)
            _write(Path(output_file), [github_report.outputs_text(values)], console, append=True, what="outputs")

    sinks: list[tuple[str, Callable[[], None]]] = [
        ("console report", console_text),
        ("summary", report_file("summary_file", lambda: [markdown.render(outcome)], True, "summary")),
        ("JSON verdict", report_file("json_file", lambda: json_report.chunks(outcome), False, "JSON verdict")),
        ("Markdown report", report_file("markdown_file", lambda: [markdown.render(outcome)], False, "Markdown report")),
        ("JUnit report", report_file("junit_file", lambda: junit.chunks(outcome), False, "JUnit report")),
        ("annotations", annotations),
        ("outputs", outputs),
    ]
    for what, write in sinks:
        try:
            write()
        except Exception as error:  # noqa: BLE001 - one broken sink must never cost the others
            console.print(
                f"warning: the {what} could not be written ({type(error).__name__}); this is a bug in "
                "playdash-gate, please report it. The verdict stands",
                error=True,
            )
            if what == "console report":
                first = outcome.message.splitlines()[0] if outcome.message else outcome.verdict
                console.print(f"verdict: {outcome.verdict}: {first}   (exit {outcome.exit_code})", error=True)


def _write(path: Path, pieces: Iterable[str], console: Console, *, append: bool, what: str) -> None:
    """Write a report file piece by piece, the key redacted; a failure is said on stderr, the verdict stands."""
    import tempfile  # noqa: PLC0415 - only when a report file is written

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if append:
            with path.open("a", encoding="utf-8") as handle:
                handle.writelines(console.redact(piece) for piece in pieces)
        else:
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=path.parent, delete=False, prefix=f".{path.name}."
            ) as temporary:
                try:
                    temporary.writelines(console.redact(piece) for piece in pieces)
                except BaseException:
                    # A report that broke half-way is not left behind as a stray file.
                    temporary.close()
                    os.unlink(temporary.name)
                    raise
            # Temporary files are private (0600); a report is read by the CI's other steps and users.
            os.chmod(temporary.name, 0o644)
            os.replace(temporary.name, path)
    except OSError as exc:
        console.print(f"warning: could not write the {what} to {path}: {exc.strerror or exc}", error=True)


def _colour(env: Mapping[str, str], stream: TextIO) -> bool:
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def gate(
    args: argparse.Namespace,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    *,
    started: float | None = None,
) -> int:
    """Run the gate with parsed flags and an environment; report on every exit path."""
    started = time.monotonic() if started is None else started
    sources = Sources(flags=vars(args), env=env)
    raw_key, _name = sources.value("api_key")
    console = Console(out, err, raw_key.strip() if raw_key else None, github=sources.in_actions)
    console.mask(raw_key or "")
    colour = _colour(env, out)
    observed = Observed()
    settings: Settings | None = None
    ci = detect_ci(env)
    if ci is not None:
        console.print(_ci_line(ci))
    try:
        with _signals_cancel():
            settings = resolve(sources)
            outcome = run_gate(settings, console, observed, stdin, ci, started=started)
    except GateError as error:
        outcome = _error_outcome(error, observed, settings)
        if isinstance(error, ApiUnavailableError) and settings is not None and settings.on_unavailable == "pass":
            outcome = replace(outcome, exit_code=EXIT_PASS, passed_on_unavailable=True)
    except Exception as error:  # noqa: BLE001 - the one place an unexpected error becomes exit 3
        import traceback  # noqa: PLC0415 - only for a bug

        console.print(traceback.format_exc(), error=True)
        outcome = _error_outcome(
            GateError(f"unexpected error ({type(error).__name__}); this is a bug in playdash-gate, please report it"),
            observed,
            settings,
        )
    outcome = replace(outcome, ci=ci)
    _write_reports(outcome, sources, console, colour)
    return outcome.exit_code


def _ci_line(ci: CiInfo) -> str:
    parts = [f"ci: {ci.name}"]
    parts += [
        value for value in (ci.job_url, ci.branch and f"branch {ci.branch}", ci.commit and ci.commit[:12]) if value
    ]
    return " · ".join(parts)


def demo(args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Start the simulator with a run that finishes in a few seconds, and gate it for real."""
    from gate.simulator import Scenario, SimRun, Simulator  # noqa: PLC0415

    counts = (
        {"passed": 36, "failed": 3, "flaky": 1, "skipped": 2}
        if args.failing
        else {"passed": 38, "flaky": 1, "skipped": 2}
    )
    scenario = Scenario(runs=[SimRun(counts=counts, finish_after_seconds=args.seconds, specs=6)], api_key="demo-key")
    import tempfile  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix="playdash-gate-demo-"))
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
        if flags.summary_file is None and not env.get("GITHUB_STEP_SUMMARY"):
            flags.summary_file = str(folder / "summary.md")
        if flags.json_file is None and env.get("GITHUB_ACTIONS") != "true":
            flags.json_file = str(folder / "verdict.json")
        Console.write_to(
            out, f"demo: a simulated NeetoPlaydash on {simulator.base_url}, a run finishing in {args.seconds:g}s\n"
        )
        code = gate(flags, demo_env, out, err, stdin)
    demo_sources = Sources(flags=vars(flags), env=demo_env)
    Console.write_to(
        out,
        f"demo: step summary (Markdown) in {optional_path(demo_sources, 'summary_file')}, "
        f"JSON verdict in {optional_path(demo_sources, 'json_file')}\n",
    )
    return code


def validate(args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """Check a thresholds file and show the policy it gives; every problem is listed with its key path."""
    from gate.config import load_policy  # noqa: PLC0415
    from gate.report.console import policy_lines  # noqa: PLC0415

    sources = Sources(flags={}, env=env)
    path = sources.path(args.path) if args.path else sources.path(DEFAULT_CONFIG)
    if args.path is None and not path.exists():
        Console.write_to(out, f"no {DEFAULT_CONFIG} here: the built-in defaults apply\n")
        policy = load_policy(None)
    else:
        try:
            policy = load_policy(path)
        except SetupError as error:
            Console(out, err, None).print(f"✖ {error.message}", error=True)
            return error.exit_code
        Console.write_to(out, f"✔ {path} is valid\n")
    tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
    today = datetime.datetime.now(datetime.timezone.utc).date()
    Console(out, err, None).print("\n".join(policy_lines(policy, args.branch, tags, today)))
    return EXIT_PASS


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Parse the command line and run; returns the exit code (0 pass, 1 fail, 2 set-up error, 3 no verdict)."""
    started = time.monotonic()
    env = dict(os.environ) if env is None else dict(env)
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SetupError as error:
        # Reports still go out: the flags that name them may have been read before the bad one.
        console = Console(out, err, None)
        outcome = _error_outcome(error, Observed())
        _write_reports(outcome, Sources(flags={}, env=env), console, _colour(env, out))
        return outcome.exit_code
    action_demo = env.get("INPUT_DEMO", "").strip().lower()
    if args.command is None and action_demo in ("true", "pass", "fail"):
        # The action's `demo` input: the whole job inside the container, against the bundled simulator.
        args.failing, args.seconds = action_demo == "fail", 3.0
        return demo(args, env, out, err, stdin or sys.stdin)
    if args.command == "validate":
        return validate(args, env, out, err)
    if args.command == "demo":
        return demo(args, env, out, err, stdin or sys.stdin)
    return gate(args, env, out, err, stdin or sys.stdin, started=started)


def console_main() -> NoReturn:
    """The `playdash-gate` command: once the reports are written, the process ends, whatever its threads do.

    Threads still fetching a page or sleeping before a retry (after a cancel or an error) must not keep
    a CI job alive until some timeout: when any is left, the streams are flushed and the process exits.
    """
    code = main()
    lingering = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and thread.is_alive() and not thread.daemon
    ]
    if lingering:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    raise SystemExit(code)
