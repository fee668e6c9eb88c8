"""Which statuses the gather step lists, from the finished run's statistics and its own first page."""

from __future__ import annotations

import pytest

from gate.config import Thresholds
from gate.job.gather import statuses_to_list
from gate.model import Run, TestResult


def run(status: str = "failed", **counts: int) -> Run:
    return Run(project_id="p", run_id="r", status=status, is_running=False, statistics={"passed": 5, **counts})


def listing(status: str, n: int) -> list[TestResult]:
    return [TestResult("a.spec.ts", f"{status} {i}", status, 1.0, f"id{status}{i}") for i in range(n)]


DEFAULTS = Thresholds()  # failed: 0, flaky: no limit


@pytest.mark.parametrize(
    ("the_run", "first_page", "complete", "expected"),
    [
        # The only page lists exactly what the statistics count: nothing more to ask.
        (run(failed=2, flaky=1), listing("failed", 2) + listing("flaky", 1), True, []),
        # The same page when there are more pages: every status is asked for.
        (run(failed=2, flaky=1), listing("failed", 2) + listing("flaky", 1), False, ["failed", "flaky"]),
        # Fewer listed than counted, or more: the page and the statistics disagree, so ask.
        (run(failed=3), listing("failed", 2), True, ["failed"]),
        (run(failed=1), listing("failed", 2), True, ["failed"]),
        (run("passed", failed=0), listing("failed", 1), True, ["failed"]),
        # A failed run with no failed test counted or listed is looked at anyway.
        (run("failed"), [], True, ["failed"]),
        # Nothing failed or flaky anywhere: nothing to list.
        (run("passed"), listing("passed", 5), True, []),
        (run("passed"), listing("passed", 5), False, []),
    ],
    ids=[
        "complete",
        "more-pages",
        "fewer-listed",
        "more-listed",
        "listed-not-counted",
        "failed-run",
        "clean",
        "clean-paged",
    ],
)
def test_statuses_to_list(the_run: Run, first_page: list[TestResult], complete: bool, expected: list[str]) -> None:
    assert statuses_to_list(the_run, first_page, complete=complete, limits=DEFAULTS) == expected


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (Thresholds(failed=0), []),  # 2 failed already break a limit of 0: more cannot change the verdict
        (Thresholds(failed=None), []),
        (Thresholds(failed=2), ["failed"]),  # at the limit: one more failed test would fail the gate
        (Thresholds(failed=5), ["failed"]),
        (Thresholds(failed=0, failed_rate=0.5), ["failed"]),  # a rate: more tests of any kind move it
        (Thresholds(failed=0, flaky=1), ["flaky"]),  # 1 flaky of at most 1: one more would fail
        (Thresholds(failed=0, flaky=0), []),
        (Thresholds(failed=0, flaky_rate=0.1), ["flaky"]),
    ],
)
def test_a_complete_page_is_trusted_only_where_more_tests_could_not_change_the_verdict(
    limits: Thresholds, expected: list[str]
) -> None:
    page = listing("failed", 2) + listing("flaky", 1)
    assert statuses_to_list(run(failed=2, flaky=1), page, complete=True, limits=limits) == expected
