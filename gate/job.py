"""The main job: name the run, wait for it, collect its failed and flaky tests, judge it (online or offline)."""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from gate import __version__
from gate.client import PlaydashClient
from gate.collect import PAGE_SIZE, collect
from gate.config import Policy
from gate.deadline import Deadline
from gate.errors import SetupError
from gate.evaluate import BaselineRun, Verdict, evaluate
from gate.find import find_baseline, find_run
from gate.model import Run, TestResult, parse_page, parse_run
from gate.outcome import Observed
from gate.policy import effective
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
        rng=rng,
    )
    if found.note:
        observed.notes.append(found.note)
        out.print(f"note: {found.note}")
    return found.run_id


def judge_online(
    settings: Settings,
    policy: Policy,
    out: Printer,
    observed: Observed,
    *,
    today: datetime.date,
    ci_branch: str | None = None,
) -> Judged:
    """Against the API: find the run if named by build id, wait for it to finish, collect, judge."""
    if not (settings.api_root and settings.api_key and settings.project_id):
        raise SetupError("a workspace, an API key and a project id are needed to reach the API")
    project_id = settings.project_id
    deadline = Deadline(settings.timeout)
    observed.elapsed = deadline.elapsed
    client = PlaydashClient(
        settings.api_root,
        settings.api_key,
        deadline,
        user_agent=f"playdash-gate/{__version__}",
        backoff_initial=min(1.0, settings.poll_interval),
        debug=out.debug if settings.debug else None,
    )
    observed.requests = lambda: client.requests_made
    rng = random.Random()
    try:
        run_id = _run_id(settings, project_id, client=client, deadline=deadline, out=out, observed=observed, rng=rng)
        observed.run_id = run_id
        if settings.workspace_url:
            observed.run_url = run_page(settings.workspace_url, project_id, run_id)
        out.print(console_report.banner(__version__, project_id, run_id, observed.run_url or ""))
        if policy.source != "built-in defaults":
            out.print(f"config: {policy.source}")
        out.command(github_report.group(f"Waiting for run {run_id} to finish"))

        def fetch_tests(target_run_id: str, statuses: list[str]) -> dict[str, list[TestResult]]:
            return collect(
                lambda status, page: parse_page(
                    client.get_run(project_id, target_run_id, status=status, page=page, page_size=PAGE_SIZE), page
                ),
                statuses,
            )

        def remember(run: Run) -> None:
            observed.run = run
            limit = effective(policy, ci_branch or run.branch, run.tags, today).thresholds.failed
            # Fail fast looks at the failed tests only once the count alone exceeds the limit:
            # quarantine can only lower it.
            if (
                policy.fail_fast
                and run.is_running
                and run.status == "failing"
                and limit is not None
                and run.count("failed") > limit
            ):
                failed = fetch_tests(run_id, ["failed"])["failed"]
                verdict = evaluate(run, failed, [], policy, today=today, branch=ci_branch, in_progress=True)
                if not verdict.passed:
                    raise _StoppedEarly(Judged(run, tuple(failed), (), verdict))

        try:
            run = wait_until_finished(
                lambda: parse_run(client.get_run(project_id, run_id)),
                deadline,
                poll_interval=settings.poll_interval,
                max_poll_interval=settings.max_poll_interval,
                on_poll=lambda run, wait: out.print(console_report.progress_line(run, deadline.elapsed(), wait)),
                rng=rng,
                last_seen=remember,
            )
        finally:
            out.command(github_report.end_group())
        out.print(console_report.finished_line(run))

        # Only the statuses the run has (a `failed` run with no failed test counted is looked at anyway).
        wanted = [
            status
            for status in ("failed", "flaky")
            if run.count(status) or (status == "failed" and run.status == "failed")
        ]
        collected = fetch_tests(run_id, wanted)
        failed_tests, flaky_tests = collected.get("failed", []), collected.get("flaky", [])
        baseline = None
        if policy.baseline is not None:
            baseline_id = find_baseline(lambda page: client.list_runs(project_id, page), policy.baseline.branch, run_id)
            baseline_failed = fetch_tests(baseline_id, ["failed"])["failed"] if baseline_id else []
            baseline = BaselineRun(baseline_id, frozenset((t.spec, t.title) for t in baseline_failed))
            if baseline_id:
                out.print(
                    f"baseline: run {baseline_id} on {policy.baseline.branch} "
                    f"({len(baseline_failed)} failed tests there)"
                )
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
    verdict = evaluate(run, failed_tests, flaky_tests, policy, today=today, branch=ci_branch, baseline=baseline)
    return Judged(run, tuple(failed_tests), tuple(flaky_tests), verdict)


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
    observed.run, observed.run_id = run, run.run_id or None
    if settings.workspace_url and run.project_id and run.run_id:
        observed.run_url = run_page(settings.workspace_url, run.project_id, run.run_id)
    where = "standard input" if settings.from_file == "-" else settings.from_file
    out.print(
        f"playdash-gate {__version__} · saved run {run.run_id or '?'} of project {run.project_id or '?'} "
        f"from {where} ({len(pages)} page{'s' if len(pages) != 1 else ''})"
    )
    ensure_finished(run)
    tests: list[TestResult] = []
    for number, page in enumerate(pages, start=1):
        tests += parse_page(
            page,
            page.get("pagination", {}).get("current_page_number", number)
            if isinstance(page, dict) and isinstance(page.get("pagination"), dict)
            else number,
        ).tests
    failed = _of(tests, "failed")
    flaky = _of(tests, "flaky")
    return Judged(run, failed, flaky, evaluate(run, failed, flaky, policy, today=today, branch=ci_branch))


def _page_number(page: Any, default: int) -> int:
    """A saved page's own number, so that pages concatenated in any order are each taken as they are."""
    paging = page.get("pagination") if isinstance(page, dict) else None
    number = paging.get("current_page_number") if isinstance(paging, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else default


def _of(tests: Sequence[TestResult], status: str) -> tuple[TestResult, ...]:
    return tuple(test for test in tests if test.status == status)
