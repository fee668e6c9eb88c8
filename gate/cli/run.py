"""The gate command: settings, the job, one Outcome built once, every report, and the exit code.

One of the three places that import late (docs/architecture.md, "No work at import time"): the job (and with
it `requests`), the pull request comment and the reports only some runs ask for are loaded here, when the run
really needs them, so that a set-up error, `--help` or `validate` never pays for them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gate import __version__
from gate.ci import CiInfo
from gate.ci import detect as detect_ci
from gate.cli.boundary import ErrorBoundary, signals_cancel
from gate.cli.console import Console, colour
from gate.cli.progress import ConsoleProgress
from gate.cli.sinks import RERUN_TITLE, CommentSink, ConsoleReporter, Reporter, comment_address, report_everywhere, warn
from gate.clock import REAL, Clock
from gate.config.load import load_policy
from gate.config.types import Policy
from gate.deadline import Deadline
from gate.ending import Ending
from gate.errors import ApiUnavailableError, GateError, SetupError, Unexpected
from gate.ids import is_id
from gate.outcome import Observed, Outcome
from gate.report import github as github_report
from gate.report.text import verdict_headline
from gate.settings import SavedAnswer, Settings, Sources, optional_path, resolve
from gate.settings.resolve import report_mode_asked

if TYPE_CHECKING:
    from gate.cli.comment import CommentClock
    from gate.cli.files import RerunReporter
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


# In report mode these endings exit 0 (a set-up error is wrong either way; a cancel is the job's own end).
REPORT_ONLY = frozenset({Ending.FAILED, Ending.NO_VERDICT})


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
    commenting = any(
        sources.value(dest)[0] is not None for dest in ("comment", "pull_request", "comment_key", "comment_file")
    )
    if commenting:
        from gate.comment.target import comment_options, comment_token  # noqa: PLC0415 - only for a comment

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
    outcome = build_outcome(judged, boundary.error, observed, settings, ci, report_only=report_mode_asked(sources))
    comment = comment_file = None
    if commenting:
        from gate.cli.comment import CommentClock, comment_file_sink, comment_sink  # noqa: PLC0415

        comment = comment_sink(
            sources, console, debug=sources.debug, timing=comment_clock or CommentClock(), clock=clock
        )
        comment_file = comment_file_sink(sources, console, comment, clock)
    sinks = reporters(sources, console, colour(env, out), comment, comment_file)
    ran_out = report_everywhere(outcome, sinks, console)
    return ended(outcome, ran_out, console)


def flags_refused(error: SetupError, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """A command line argparse refused: the reports still go out (the flags naming them may come before the bad one)."""
    console = Console(out, err, None)
    outcome = build_outcome(
        None, error, Observed(), None, None, report_only=report_mode_asked(Sources(flags={}, env=env))
    )
    ran_out = report_everywhere(outcome, reporters(Sources(flags={}, env=env), console, colour(env, out)), console)
    return ended(outcome, ran_out, console)


def _summary(outcome: Outcome) -> Iterable[str]:
    from gate.report import markdown  # noqa: PLC0415 - each report's code only when the run asks for it

    return [markdown.render(outcome)]


def _json(outcome: Outcome, comment_url: str | None) -> Iterable[str]:
    from gate.report import json_report  # noqa: PLC0415

    return json_report.chunks(outcome, comment_url)


def _junit(outcome: Outcome) -> Iterable[str]:
    from gate.report import junit  # noqa: PLC0415

    return junit.chunks(outcome)


def reporters(
    sources: Sources,
    console: Console,
    colour: bool,
    comment: CommentSink | None = None,
    comment_file: Reporter | None = None,
) -> list[Reporter]:
    """Every sink asked for, its destination resolved once and leniently (so it works after a set-up error):
    the console's verdict first, then the pull request comment (when there is one), then the reports that
    carry the comment's address."""
    found: list[Reporter] = [ConsoleReporter(console, colour), *([comment] if comment else [])]
    files: list[tuple[str, str, Callable[[Outcome], Iterable[str]], bool]] = [
        ("summary_file", "summary", _summary, True),
        ("json_file", "JSON verdict", lambda outcome: _json(outcome, comment_address(comment)), False),
        ("markdown_file", "Markdown report", _summary, False),
        ("junit_file", "JUnit report", _junit, False),
    ]
    taken: dict[Path, str] = {}
    paths = [(optional_path(sources, dest), what, render, append) for dest, what, render, append in files]
    if any(path for path, *_ in paths):
        from gate.cli.files import FileReporter  # noqa: PLC0415 - the file sinks only when a file is asked for

        for path, what, render, append in paths:
            if path:
                found.append(FileReporter(what, path, render, console, append))
                taken[path.resolve()] = what
    if comment_file is not None:
        found.append(comment_file)
    rerun = _rerun_sink(sources, console, taken)
    found += [rerun] if rerun else []
    if console.github:
        from gate.cli.files import AnnotationsReporter, OutputsReporter  # noqa: PLC0415 - only in GitHub Actions

        found.append(AnnotationsReporter(console))
        output = sources.env.get("GITHUB_OUTPUT")
        if output:
            json_file = optional_path(sources, "json_file")
            workspace = sources.env.get("GITHUB_WORKSPACE")
            json_path = github_report.workspace_relative(json_file, workspace) if json_file else ""
            rerun_path = github_report.workspace_relative(rerun.path, workspace) if rerun else ""
            found.append(OutputsReporter(console, Path(output), json_path, comment, rerun_path, rerun))
    return found


def _rerun_sink(sources: Sources, console: Console, taken: Mapping[Path, str]) -> RerunReporter | None:
    """`--rerun-file`, unless it names the file of another report (which it would overwrite): then a warning."""
    path = optional_path(sources, "rerun_file")
    if path is None:
        return None
    other = taken.get(path.resolve())
    if other is None:
        from gate.cli.files import RerunReporter  # noqa: PLC0415 - only when a rerun file is asked for

        return RerunReporter(path, console)
    own = sources.label("rerun_file")
    warn(
        console,
        f"the rerun file {path} is the {other}'s file too: not written; give {own} a file of its own",
        title=RERUN_TITLE,
    )
    return None


def ended(outcome: Outcome, ran_out: bool, console: Console) -> int:
    """The exit code once every report is written: the outcome's, or no verdict when memory ran out in a sink."""
    if not ran_out or outcome.exit_code == exit_code(Ending.NO_VERDICT):
        return outcome.exit_code
    # No verdict, as memory ran out; report mode lets that through as it lets any no verdict, but a set-up
    # error is wrong either way.
    code = 0 if outcome.exit_code == 0 and not outcome.enforced else exit_code(Ending.NO_VERDICT)
    if outcome.ending is Ending.SETUP_ERROR:
        code = outcome.exit_code
    console.print(
        f"playdash-gate: no verdict (exit {code}{', report-only' if code == 0 else ''}), since memory ran out while "
        f"writing the reports (those written give the verdict `{outcome.verdict}`)",
        error=True,
    )
    return code


def judge(
    settings: Settings,
    console: Console,
    observed: Observed,
    stdin: TextIO,
    ci: CiInfo | None,
    *,
    started: float,
    clock: Clock,
    adjust: Callable[[Policy], Policy] | None = None,
) -> Judged:
    """The run judged from the API, or from a saved answer (`adjust`: what a subcommand changes of the policy
    read, or a SetupError for one it cannot use)."""
    from gate.job.judge import judge_offline, judge_online  # noqa: PLC0415 - the job, with `requests`

    # The deadline counts from the process's start: reading the config is part of the time allowed.
    deadline = Deadline(settings.timeout, clock.monotonic, started, clock.sleep)
    today = clock.today()
    observed.elapsed = deadline.elapsed
    policy = load_policy(settings.config_path)
    policy = adjust(policy) if adjust else policy
    observed.config_source = policy.source
    progress = ConsoleProgress(console, debug=settings.debug)
    ci_branch = ci.branch if ci else None
    target_branch = _target_branch(settings, ci, policy, console)
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
            target_branch=target_branch,
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
        target_branch=target_branch,
    )


def _target_branch(settings: Settings, ci: CiInfo | None, policy: Policy, console: Console) -> str | None:
    """The branch the change merges into: as given, else the CI's; refused where the rules need it and a merge
    queue's run does not tell it."""
    target_branch = settings.target_branch or (ci.target_branch if ci else None)
    if target_branch is None and ci is not None and ci.merge_queue and any(r.target_branch for r in policy.rules):
        # Fail closed: a rule for the queue's target (`failed: 0` on main) must not quietly give way to the top level.
        raise SetupError(
            "this is a merge queue's run (merge_group), but the branch it merges into could not be read (neither "
            "`merge_group.base_ref` in the event payload nor the queue's branch in GITHUB_REF), so the rules on "
            "`when.target_branch` cannot be applied; give it with --target-branch, PLAYDASH_TARGET_BRANCH or the "
            "action's `target-branch` input"
        )
    if settings.target_branch and settings.target_branch != (ci.target_branch if ci else None):
        console.print(f"target branch: {settings.target_branch} (--target-branch / PLAYDASH_TARGET_BRANCH)")
    return target_branch


def build_outcome(
    judged: Judged | None,
    error: GateError | None,
    observed: Observed,
    settings: Settings | None,
    ci: CiInfo | None,
    *,
    report_only: bool = False,
) -> Outcome:
    """The one Outcome of this invocation: its ending, message and all that was learned on the way.

    `report_only` (`--mode report`, read leniently when the settings could not be): a failing run or no verdict
    exits 0; a set-up error, a cancel and a bug in the gate keep their codes.
    """
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
    enforced = settings.mode == "enforce" if settings is not None else not report_only
    target, source = (
        (settings.target_branch, "--target-branch / PLAYDASH_TARGET_BRANCH")
        if settings and settings.target_branch
        else (None, None)
    )
    if target is None and ci is not None:
        target, source = ci.target_branch, ci.target_source
    would_exit = exit_code(ending)
    return Outcome(
        ending,
        0 if not enforced and ending in REPORT_ONLY and not isinstance(error, Unexpected) else would_exit,
        message,
        __version__,
        project_id=(settings.project_id if settings else None) or api_project,
        run_id=observed.run_id or (settings.run_id if settings else None),
        run_url=observed.run_url or (settings.run_url if settings else None),
        baseline_url=observed.baseline_url,
        run=run,
        result=verdict,
        config_source=observed.config_source,
        error_kind=error.kind if verdict is None and error else None,
        waited=observed.elapsed(),
        requests=observed.requests(),
        notes=tuple(observed.notes),
        ci=ci,
        enforced=enforced,
        would_exit=would_exit,
        target_branch=target,
        target_source=source,
    )


def ci_line(ci: CiInfo) -> str:
    """`ci: GitHub Actions · <job link> · branch main · <commit>`."""
    parts = [f"ci: {ci.name}"]
    parts += [
        value for value in (ci.job_url, ci.branch and f"branch {ci.branch}", ci.commit and ci.commit[:12]) if value
    ]
    if ci.target_branch:
        parts.append(f"target branch {ci.target_branch} ({ci.target_source})")
    return " · ".join(parts)
