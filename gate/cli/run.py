"""The gate command: settings, the job, one Outcome built once, every report, and the exit code.

One of the three places that import late (docs/architecture.md, "No work at import time"): the job (and with
it `requests`), the pull request comment and the reports only some runs ask for are loaded here, when the run
really needs them, so that a set-up error, `--help` or `validate` never pays for them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gate.ci import CiInfo
from gate.ci import detect as detect_ci
from gate.cli.boundary import ErrorBoundary, signals_cancel
from gate.cli.console import Console, colour
from gate.cli.progress import ConsoleProgress
from gate.cli.sinks import RERUN_TITLE, CommentSink, ConsoleReporter, Reporter, comment_address, report_everywhere, warn
from gate.cli.verdict import build_outcome, exit_code, gate_outcome
from gate.clock import REAL, Clock
from gate.config.load import load_policy
from gate.config.types import Policy
from gate.deadline import Deadline
from gate.ending import Ending
from gate.errors import SetupError
from gate.outcome import Observed, Outcome
from gate.policy import for_project
from gate.report import github as github_report
from gate.settings import (
    SavedAnswer,
    Settings,
    Sources,
    optional_path,
    resolve,
)
from gate.settings.resolve import report_mode_asked

if TYPE_CHECKING:
    from gate.cli.comment import CommentClock
    from gate.cli.files import RerunReporter
    from gate.cli.runs import RunEnd
    from gate.job.judge import Judged


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
    ends: Sequence[RunEnd] = ()
    with ErrorBoundary(console) as boundary, signals_cancel():
        settings = resolve(sources)
        if commenting:
            comment_options(sources)  # a bad --comment, --pull-request or --comment-key is a set-up error too
        ends = judge(settings, console, observed, stdin, ci, started=started, clock=clock)
    outcome = gate_outcome(ends, boundary.error, observed, settings, ci, report_only=report_mode_asked(sources))
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
    from gate.report.summary import summary  # noqa: PLC0415 - each report's code only when the run asks for it

    return [summary(outcome)]


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
) -> Sequence[RunEnd]:
    """Each run judged from the API (all at once, within the one deadline and one bound on requests in flight), or
    the one saved answer (`adjust`: what a subcommand changes of the policy read, or a SetupError)."""
    from gate.cli.runs import RunEnd, judge_runs, labels  # noqa: PLC0415 - the job, with `requests`
    from gate.flight import InFlight  # noqa: PLC0415
    from gate.job.judge import judge_offline, judge_online  # noqa: PLC0415

    def deadline() -> Deadline:
        # The deadline counts from the process's start: reading the config is part of the time allowed.
        return Deadline(settings.timeout, clock.monotonic, started, clock.sleep)

    observed.elapsed = deadline().elapsed
    today = clock.today()
    policy = load_policy(settings.config_path)
    policy = adjust(policy) if adjust else policy
    observed.config_source = policy.source
    ci_branch = ci.branch if ci else None
    named = [target.project_id for target in settings.targets if not isinstance(target, SavedAnswer)]
    policies = [for_project(policy, project) for project in named] or [policy]
    target_branch = _target_branch(settings, ci, policies, console)
    unnamed = [project for project in policy.projects if project not in named]
    if unnamed and named:
        observed.notes.append(
            f"the config's `projects:` names {', '.join(unnamed[:5])}{', …' if len(unnamed) > 5 else ''}, which no "
            f"run of this gate is of: a typo in a project id there, or in the runs named? Its policy was not used"
        )
        warn(console, observed.notes[-1], title="Playwright gate config")
    connection = settings.connection
    in_flight = InFlight(deadline(), settings.max_in_flight)
    ends = [
        RunEnd(target, label, run_deadline, Observed(elapsed=run_deadline.elapsed, config_source=policy.source))
        for target, label in zip(settings.targets, labels(settings.targets, policy), strict=True)
        for run_deadline in (deadline(),)
    ]
    if not settings.several:
        ends[0].observed.notes += observed.notes  # a gate of one run reports as its run

    def judge_one(end: RunEnd) -> Judged:
        progress = ConsoleProgress(console, debug=settings.debug, label=end.label if settings.several else None)
        if isinstance(end.target, SavedAnswer):
            return judge_offline(
                end.target,
                settings,
                _offline_policy(policy),
                listener=progress,
                observed=end.observed,
                stdin=stdin,
                today=today,
                deadline=end.deadline,
                redactor=console.redactor,
                ci_branch=ci_branch,
                target_branch=target_branch,
            )
        assert connection is not None  # settings give every online target its connection
        return judge_online(
            end.target,
            connection,
            settings,
            for_project(policy, end.target.project_id),
            listener=progress,
            observed=end.observed,
            today=today,
            deadline=end.deadline,
            ci_branch=ci_branch,
            target_branch=target_branch,
            in_flight=in_flight,
        )

    judge_runs(ends, judge_one, console, fail_fast=policy.fail_fast)
    return ends


def _offline_policy(policy: Policy) -> Policy:
    """The policy of a saved answer: refused when `projects:` gives projects their own (a saved answer does not say
    whose run it is, and the top level alone could pass what the project's policy fails)."""
    if policy.projects:
        raise SetupError(
            f"--from-file: the config ({policy.source}) gives projects their own policy (`projects:`), and a saved "
            "answer does not say which project its run is of; judge it with a config without `projects:` (the "
            "project's policy written at the top level), or judge the run through the API"
        )
    return policy


def _target_branch(settings: Settings, ci: CiInfo | None, policies: Sequence[Policy], console: Console) -> str | None:
    """The branch the change merges into: as given, else the CI's; refused where the rules need it and a merge
    queue's run does not tell it."""
    target_branch = settings.target_branch or (ci.target_branch if ci else None)
    rules = [rule for policy in policies for rule in policy.rules]
    if target_branch is None and ci is not None and ci.merge_queue and any(r.target_branch for r in rules):
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


def ci_line(ci: CiInfo) -> str:
    """`ci: GitHub Actions · <job link> · branch main · <commit>`."""
    parts = [f"ci: {ci.name}"]
    parts += [
        value for value in (ci.job_url, ci.branch and f"branch {ci.branch}", ci.commit and ci.commit[:12]) if value
    ]
    if ci.target_branch:
        parts.append(f"target branch {ci.target_branch} ({ci.target_source})")
    return " · ".join(parts)
