"""Gather: the finished run's failed and flaky tests, page by page, and the baseline run's failed tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.client import PlaydashClient
from gate.collect import PAGE_SIZE, collect
from gate.config import Policy
from gate.evaluate import BaselineRun
from gate.find import find_baseline
from gate.job.events import BaselineFound, Listener
from gate.model import Run, TestResult, parse_page


@dataclass(frozen=True)
class Gathered:
    """The listings of the run's tests (one per status asked for, each holding every test of its pages,
    whatever its status), and the baseline run when the policy has one."""

    listings: tuple[tuple[TestResult, ...], ...]
    baseline: BaselineRun | None = None


def statuses_to_list(run: Run, first_page: Sequence[TestResult], *, complete: bool = False) -> list[str]:
    """The statuses to list: those the run has by its statistics or by the tests its answer lists (a
    `failed` run with no failed test counted is looked at anyway).

    A first page that is the only page and lists exactly as many tests of a status as the statistics
    count already holds that status's listing: asking again, filtered, would tell nothing more (and a
    pipeline saves a round trip). When the two disagree in any way the status is listed as usual.
    """
    wanted = []
    for status in ("failed", "flaky"):
        listed = sum(test.status == status for test in first_page)
        if not (run.count(status) or (status == "failed" and run.status == "failed") or listed):
            continue
        if complete and listed and listed == run.count(status):
            continue
        wanted.append(status)
    return wanted


def tests_of(client: PlaydashClient, project_id: str, run_id: str, statuses: list[str]) -> dict[str, list[TestResult]]:
    """The pages of each status of a run (every test on them), through the bounded pool of `collect`."""
    return collect(
        lambda status, page: parse_page(
            client.get_run(project_id, run_id, status=status, page=page, page_size=PAGE_SIZE), page
        ),
        statuses,
    )


def gather(
    client: PlaydashClient,
    *,
    project_id: str,
    run_id: str,
    run: Run,
    first_page: Sequence[TestResult],
    first_page_complete: bool = False,
    policy: Policy,
    listener: Listener,
) -> Gathered:
    """The failed and flaky tests of the finished run, and the baseline's failed tests when asked for."""
    listed = tests_of(client, project_id, run_id, statuses_to_list(run, first_page, complete=first_page_complete))
    baseline = None
    if policy.baseline is not None:
        branch = policy.baseline.branch
        baseline_id = find_baseline(lambda page: client.list_runs(project_id, page), branch, run_id)
        pages = tests_of(client, project_id, baseline_id, ["failed"])["failed"] if baseline_id else []
        failed_there = [test for test in pages if test.status == "failed"]
        if baseline_id:
            listener(BaselineFound(baseline_id, branch, len(failed_there)))
        baseline = BaselineRun(baseline_id, frozenset((test.spec, test.title) for test in failed_there))
    return Gathered(tuple(tuple(tests) for tests in listed.values()), baseline)
