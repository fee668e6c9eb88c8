"""The gate command: settings, the job, one Outcome built once, every report, and the exit code."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from gate import __version__
from gate.ci import CiInfo
from gate.ci import detect as detect_ci
from gate.cli.boundary import ErrorBoundary, signals_cancel
from gate.cli.console import Console, colour
from gate.cli.progress import ConsoleProgress
from gate.cli.sinks import report_everywhere, reporters
from gate.clock import REAL, Clock
from gate.ending import Ending
from gate.errors import ApiUnavailableError, GateError
from gate.ids import is_id
from gate.outcome import Observed, Outcome
from gate.settings import SavedAnswer, Settings, Sources, resolve

if TYPE_CHECKING:
    from gate.cli.comment import CommentClock
    from gate.job.judge import Judged

# The one place an ending becomes an exit code.
EXIT_CODES = {
    Ending.PASSED: 0,
    Ending.FAILED: 1,
    Ending.SETUP_ERROR: 2,
    Ending.NO_VERDICT: 3,
    Ending.LET_THROUGH: 0,
    Ending.CANCELLED: 3,
}


def exit_code(ending: Ending) -> int:
    """0 passed (or let through), 1 failed, 2 set-up error, 3 no verdict (or cancelled)."""
    return EXIT_CODES[ending]


def gate(
    args: argparse.Namespace,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    *,
    started: float | None = None,
    clock: Clock = REAL,
    comment_clock: CommentClock | None = None,
) -> int:
    """Run the gate with parsed flags and an environment; report on every exit path."""
    started = clock.monotonic() if started is None else started
    sources = Sources(flags=vars(args), env=env)
    raw_key, _name = sources.value("api_key")
    # The pull request comment's code is loaded only when one of its settings is given (start-up stays lean).
    commenting = any(sources.value(dest)[0] is not None for dest in ("comment", "pull_request", "comment_key"))
    if commenting:
        from gate.comment.target import comment_options, comment_token  # noqa: PLC0415

    token = comment_token(sources) if commenting else None  # None unless --comment may be on
    console = Console(out, err, raw_key.strip() if raw_key else None, github=sources.in_actions, also=(token,))
    console.mask(raw_key or "")
    console.mask(token or "")
    observed = Observed()
    settings: Settings | None = None
    ci = detect_ci(env)
    if ci is not None:
        console.print(ci_line(ci))
    judged = None
    with ErrorBoundary(console) as boundary, signals_cancel():
        settings = resolve(sources)
        if commenting:
            comment_options(sources)  # a bad --comment, --pull-request or --comment-key is a set-up error too
        judged = judge(settings, console, observed, stdin, ci, started=started, clock=clock)
    outcome = build_outcome(judged, boundary.error, observed, settings, ci)
    comment = None
    if commenting:
        from gate.cli.comment import CommentClock, comment_sink  # noqa: PLC0415

        comment = comment_sink(
            sources, console, debug=sources.debug, timing=comment_clock or CommentClock(), clock=clock
        )
    ran_out = report_everywhere(outcome, reporters(sources, console, colour(env, out), comment), console)
    return ended(outcome, ran_out, console)


def ended(outcome: Outcome, ran_out: bool, console: Console) -> int:
    """The exit code once every report is written: the outcome's, or no verdict when memory ran out in a sink."""
    if not ran_out or outcome.exit_code == exit_code(Ending.NO_VERDICT):
        return outcome.exit_code
    console.print(
        f"playdash-gate: no verdict (exit {exit_code(Ending.NO_VERDICT)}), since memory ran out while writing the "
        f"reports (those written give the verdict `{outcome.verdict}`)",
        error=True,
    )
    return exit_code(Ending.NO_VERDICT)


def judge(
    settings: Settings,
    console: Console,
    observed: Observed,
    stdin: TextIO,
    ci: CiInfo | None,
    *,
    started: float,
    clock: Clock,
) -> Judged:
    """The run judged from the API, or from a saved answer."""
    from gate.config.load import load_policy  # noqa: PLC0415 - kept out of start-up until the gate really runs
    from gate.deadline import Deadline  # noqa: PLC0415
    from gate.job.judge import judge_offline, judge_online  # noqa: PLC0415

    # The deadline counts from the process's start: reading the config is part of the time allowed.
    deadline = Deadline(settings.timeout, clock.monotonic, started, clock.sleep)
    today = clock.today()
    observed.elapsed = deadline.elapsed
    policy = load_policy(settings.config_path)
    observed.config_source = policy.source
    progress = ConsoleProgress(console, debug=settings.debug)
    ci_branch = ci.branch if ci else None
    target, connection = settings.target, settings.connection
    if isinstance(target, SavedAnswer):
        return judge_offline(
            target,
            settings,
            policy,
            listener=progress,
            observed=observed,
            stdin=stdin,
            today=today,
            deadline=deadline,
            redactor=console.redactor,
            ci_branch=ci_branch,
        )
    assert connection is not None  # settings give every online target its connection
    return judge_online(
        target,
        connection,
        settings,
        policy,
        listener=progress,
        observed=observed,
        today=today,
        deadline=deadline,
        ci_branch=ci_branch,
    )


def build_outcome(
    judged: Judged | None, error: GateError | None, observed: Observed, settings: Settings | None, ci: CiInfo | None
) -> Outcome:
    """The one Outcome of this invocation: its ending, message and all that was learned on the way."""
    from gate.report.text import verdict_headline  # noqa: PLC0415

    verdict = judged.verdict if judged is not None and error is None else None
    if verdict is not None:
        ending = Ending.PASSED if verdict.passed else Ending.FAILED
        message = ("gate passed: " if verdict.passed else "gate failed: ") + verdict_headline(verdict)
    else:
        error = error or GateError("no verdict")
        unavailable = isinstance(error, ApiUnavailableError)
        let_through = unavailable and settings is not None and settings.on_unavailable == "pass"
        ending, message = (Ending.LET_THROUGH if let_through else error.ending), error.message
    run = judged.run if judged else observed.run
    api_project = run.project_id if run and is_id(run.project_id) else None
    return Outcome(
        ending,
        exit_code(ending),
        message,
        __version__,
        project_id=(settings.project_id if settings else None) or api_project,
        run_id=observed.run_id or (settings.run_id if settings else None),
        run_url=observed.run_url or (settings.run_url if settings else None),
        run=run,
        result=verdict,
        config_source=observed.config_source,
        error_kind=error.kind if verdict is None and error else None,
        waited=observed.elapsed(),
        requests=observed.requests(),
        notes=tuple(observed.notes),
        ci=ci,
    )


def ci_line(ci: CiInfo) -> str:
    """`ci: GitHub Actions · <job link> · branch main · <commit>`."""
    parts = [f"ci: {ci.name}"]
    parts += [
        value for value in (ci.job_url, ci.branch and f"branch {ci.branch}", ci.commit and ci.commit[:12]) if value
    ]
    return " · ".join(parts)
