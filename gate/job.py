"""The main job: name the run, wait for it, collect its failed and flaky tests, judge it (online or offline)."""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from gate import __version__
from gate.client import PlaydashClient
from gate.collect import PAGE_SIZE, collect, listing
from gate.config import Policy
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from gate.evaluate import BaselineRun, Check, Verdict, evaluate
from gate.find import find_baseline, find_run
from gate.ids import is_id
from gate.model import Run, TestResult, parse_page, parse_run
from gate.outcome import Observed
from gate.policy import deciding_branch, effective
from gate.report import console as console_report
from gate.report import github as github_report
from gate.settings import Settings, run_page
from gate.wait import ensure_finished, wait_until_finished


class Printer(Protocol):
    """Where the job says what it is doing (the CLI's console)."""

    def print(self, text: str, *, error: bool = False) -> None: ...

    def command(self, text: str) -> None: ...

    def debug(self, message: str) -> None: ...


@dataclass(frozen=True)
class Judged:
    """A finished run, its failed and flaky tests, and the verdict on them."""

    run: Run
    failed_tests: tuple[TestResult, ...]
    flaky_tests: tuple[TestResult, ...]
    verdict: Verdict


class _StoppedEarly(Exception):
    """Fail fast: the run, still in progress, already has more failed tests than allowed."""

    def __init__(self, judged: Judged) -> None:
        super().__init__("stopped early")
        self.judged = judged


def _run_id(
    settings: Settings,
    project_id: str,
    *,
    client: PlaydashClient,
    deadline: Deadline,
    out: Printer,
    observed: Observed,
    rng: random.Random,
) -> str:
    """The run's id: given, or found by its CI build id (waiting for it to appear)."""
    if settings.run_id is not None:
        return settings.run_id
    if settings.ci_build_id is None:
        raise SetupError("no run named: give --run-id, --run-url or --ci-build-id")
    build_id = settings.ci_build_id
    out.print(f"playdash-gate {__version__} · finding the run of build {build_id} in project {project_id}")
    found = find_run(
        lambda page: client.list_runs(project_id, page),
        build_id,
        deadline,
        poll_interval=settings.poll_interval,
        max_poll_interval=settings.max_poll_interval,
        on_wait=lambda wait: out.print(
            f"waiting: no run of build {build_id} yet · {deadline.elapsed():.0f}s elapsed · next look in {wait:.1f}s"
        ),
        sleep=deadline.sleep,
        rng=rng,
    )
    if found.note:
        observed.notes.append(found.note)
        out.print(f"note: {found.note}")
    return found.run_id


def _locate(
    settings: Settings,
    project_id: str,
    policy: Policy,
    *,
    client: PlaydashClient,
    deadline: Deadline,
    out: Printer,
    observed: Observed,
    rng: random.Random,
) -> str:
    """The run's id (found by its build id if need be), said on the console, with the polling log opened."""
    run_id = _run_id(settings, project_id, client=client, deadline=deadline, out=out, observed=observed, rng=rng)
    observed.run_id = run_id
    if settings.workspace_url:
        observed.run_url = run_page(settings.workspace_url, project_id, run_id)
    out.print(console_report.banner(__version__, project_id, run_id, observed.run_url or ""))
    if policy.source != "built-in defaults":
        out.print(f"config: {policy.source}")
    out.command(github_report.group(f"Waiting for run {run_id} to finish"))
    return run_id


def judge_online(
    settings: Settings,
    policy: Policy,
    out: Printer,
    observed: Observed,
    *,
    today: datetime.date,
    deadline: Deadline,
    ci_branch: str | None = None,
) -> Judged:
    """Against the API: find the run if named by build id, wait for it to finish, collect, judge."""
    if not (settings.api_root and settings.api_key and settings.project_id):
        raise SetupError("a workspace, an API key and a project id are needed to reach the API")
    project_id = settings.project_id
    client = PlaydashClient(
        settings.api_root,
        settings.api_key,
        deadline,
        user_agent=f"playdash-gate/{__version__}",
        sleep=deadline.sleep,
        backoff_initial=min(1.0, settings.poll_interval),
        debug=out.debug if settings.debug else None,
    )
    observed.requests = lambda: client.requests_made
    rng = random.Random()
    try:
        run_id = _locate(
            settings, project_id, policy, client=client, deadline=deadline, out=out, observed=observed, rng=rng
        )

        def fetch_tests(target_run_id: str, statuses: list[str]) -> dict[str, list[TestResult]]:
            return collect(
                lambda status, page: parse_page(
                    client.get_run(project_id, target_run_id, status=status, page=page, page_size=PAGE_SIZE), page
                ),
                statuses,
            )

        def remember(run: Run) -> None:
            observed.run = run
            if fail_fast_due(run, policy, today=today, ci_branch=ci_branch):
                failed = fetch_tests(run_id, ["failed"])["failed"]
                verdict = evaluate(run, failed, [], policy, today=today, branch=ci_branch, in_progress=True)
                if not verdict.passed:
                    raise _StoppedEarly(_judged(run, verdict))

        # The finished run's own answer lists a first page of specs: its tests count too (an answer whose
        # statistics say 0 failed while its specs list failed tests is judged by the tests).
        first_page: list[TestResult] = []

        def poll() -> Run:
            body = client.get_run(project_id, run_id)
            run = parse_run(body)
            if not run.is_running:
                first_page[:] = parse_page(body, 1).tests
            return run

        try:
            run = wait_until_finished(
                poll,
                deadline,
                poll_interval=settings.poll_interval,
                max_poll_interval=settings.max_poll_interval,
                on_poll=lambda run, wait: out.print(console_report.progress_line(run, deadline.elapsed(), wait)),
                sleep=deadline.sleep,
                rng=rng,
                last_seen=remember,
            )
        finally:
            out.command(github_report.end_group())
        out.print(console_report.finished_line(run))

        try:
            collected = fetch_tests(run_id, _wanted(run, first_page))
            failed_tests, flaky_tests = collected.get("failed", []), collected.get("flaky", [])
            baseline = None
            if policy.baseline is not None:
                baseline = _baseline(
                    lambda page: client.list_runs(project_id, page),
                    lambda baseline_id: fetch_tests(baseline_id, ["failed"])["failed"],
                    policy.baseline.branch,
                    run_id,
                    out,
                )
        except ApiUnavailableError as unavailable:
            # What was already seen still decides: a finished run whose counts or status fail a check that
            # quarantine cannot change fails, whatever became unavailable afterwards.
            seen = judge_seen(run, first_page, policy, today=today, branch=ci_branch)
            if seen is None:
                raise
            observed.notes.append(
                f"the failed and flaky tests could not be listed ({unavailable.message.split('. ')[0]}); "
                "the run's own counts and status already fail the gate"
            )
            return _judged(run, seen)
    except _StoppedEarly as stopped:
        out.print(
            f"fail fast: the run is still in progress but already has {stopped.judged.verdict.counts['failed']}"
            " failed tests (not quarantined), more than allowed; stopping now"
        )
        return stopped.judged
    finally:
        # Pages may still be fetched in the background (a cancel, an error): they give up at once.
        deadline.expire()
        client.close()
    verdict = evaluate(
        run,
        failed_tests,
        flaky_tests,
        policy,
        today=today,
        branch=ci_branch,
        baseline=baseline,
        tests_seen=[first_page],
    )
    return _judged(run, verdict)


# Checks that listing the tests could still change, when quarantine is in force: it takes failed and
# flaky tests out of these counts.
_QUARANTINE_MAY_CHANGE = frozenset({"failed", "flaky", "failed_rate", "flaky_rate", "new_failures"})


def fail_fast_due(run: Run, policy: Policy, *, today: datetime.date, ci_branch: str | None) -> bool:
    """Whether a run still in progress already has more failed tests than allowed, by its count alone.

    Only then are its failed tests worth fetching: quarantine can only lower the count. The run's own
    branch decides the rules; the CI's only when the run has none.
    """
    limit = effective(policy, deciding_branch(run.branch, ci_branch), run.tags, today).thresholds.failed
    return (
        policy.fail_fast
        and run.is_running
        and run.status == "failing"
        and limit is not None
        and run.count("failed") > limit
    )


def _baseline(
    list_page: Callable[[int], tuple[list[Mapping[str, Any]], int]],
    failed_of: Callable[[str], list[TestResult]],
    branch: str,
    run_id: str,
    out: Printer,
) -> BaselineRun:
    """The newest finished run on the baseline branch (other than this one) and its failed tests."""
    baseline_id = find_baseline(list_page, branch, run_id)
    baseline_failed = failed_of(baseline_id) if baseline_id else []
    if baseline_id:
        out.print(f"baseline: run {baseline_id} on {branch} ({len(baseline_failed)} failed tests there)")
    return BaselineRun(baseline_id, frozenset((t.spec, t.title) for t in baseline_failed))


def _wanted(run: Run, first_page: Sequence[TestResult]) -> list[str]:
    """The statuses to list: those the run has by its statistics or by the tests its answer lists (a
    `failed` run with no failed test counted is looked at anyway)."""
    return [
        status
        for status in ("failed", "flaky")
        if run.count(status)
        or (status == "failed" and run.status == "failed")
        or any(test.status == status for test in first_page)
    ]


def judge_seen(
    run: Run, tests: Sequence[TestResult], policy: Policy, *, today: datetime.date, branch: str | None
) -> Verdict | None:
    """The failing verdict a finished run's own counts and status already give, or None if listing could change it.

    Listing the tests can only raise the counts (the larger of the statistics and the tests wins); only
    quarantine can lower them, and only for failed and flaky tests. A `failed` status is explained by the
    failed tests, so it can still be changed by the listing unless the policy fails on it outright.
    """
    verdict = evaluate(run, (), (), policy, today=today, branch=branch, tests_seen=[tests])
    if verdict.passed:
        return None
    power = effective(policy, deciding_branch(run.branch, branch), run.tags, today)

    def may_change(check: Check) -> bool:
        if check.key == "status":
            return run.status == "failed" and "failed" not in power.fail_on
        return bool(power.in_force) and check.key in _QUARANTINE_MAY_CHANGE

    return None if all(may_change(check) for check in verdict.failed_checks) else verdict


def read_saved(source: str, stdin: TextIO) -> list[Any]:
    """A saved Get run answer: one page (an object) or several (a list of them)."""
    where = "standard input" if source == "-" else source
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise SetupError(f"--from-file: {where} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"--from-file: {where} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SetupError(
            f"--from-file: {where} is not JSON ({exc.msg} at line {exc.lineno}); save the API's "
            "answer as it came, e.g. curl -H 'X-Api-Key: ...' URL > run.json"
        ) from None
    except (ValueError, RecursionError) as exc:
        # JSON that Python will not read: numbers of thousands of digits, nesting past the stack.
        what = "is nested too deeply" if isinstance(exc, RecursionError) else "holds a number too large to read"
        raise UnusableAnswerError(f"--from-file: {where} {what}; the gate does not judge such an answer") from None
    pages = data if isinstance(data, list) else [data]
    if not pages:
        raise SetupError(f"--from-file: {where} holds an empty list; it needs at least one Get run answer")
    return pages


def judge_offline(
    settings: Settings,
    policy: Policy,
    out: Printer,
    observed: Observed,
    stdin: TextIO,
    *,
    today: datetime.date,
    ci_branch: str | None = None,
) -> Judged:
    """A saved answer, judged with the same rules and reports; no network, no key."""
    pages = read_saved(settings.from_file or "-", stdin)
    run = parse_run(pages[0])
    # Ids from a saved file are untrusted like any answer: one that is not shaped like an id is unknown.
    run_id = run.run_id if is_id(run.run_id) else None
    project_id = run.project_id if is_id(run.project_id) else None
    observed.run, observed.run_id = run, run_id
    if settings.workspace_url and project_id and run_id:
        observed.run_url = run_page(settings.workspace_url, project_id, run_id)
    where = "standard input" if settings.from_file == "-" else settings.from_file
    out.print(
        f"playdash-gate {__version__} · saved run {run_id or '?'} of project {project_id or '?'} "
        f"from {where} ({len(pages)} page{'s' if len(pages) != 1 else ''})"
    )
    ensure_finished(run)
    # Each saved page is taken as the page it says it is, so pages concatenated in any order are fine.
    tests = listing(
        parse_page(
            page,
            page.get("pagination", {}).get("current_page_number", number)
            if isinstance(page, dict) and isinstance(page.get("pagination"), dict)
            else number,
        )
        for number, page in enumerate(pages, start=1)
    )
    return _judged(run, evaluate(run, (), (), policy, today=today, branch=ci_branch, tests_seen=[tests]))


def _judged(run: Run, verdict: Verdict) -> Judged:
    """The run and its verdict, with the failed and flaky tests the verdict counted."""
    return Judged(run, tuple(verdict.listed.get("failed", ())), tuple(verdict.listed.get("flaky", ())), verdict)
