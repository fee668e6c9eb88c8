"""Which statuses the gather step lists, from the finished run's statistics and its own first page."""

from __future__ import annotations

import pytest

from gate.job.gather import statuses_to_list
from gate.model import Run, TestResult


def run(status: str = "failed", **counts: int) -> Run:
    return Run(project_id="p", run_id="r", status=status, is_running=False, statistics={"passed": 5, **counts})


def listing(status: str, n: int) -> list[TestResult]:
    return [TestResult("a.spec.ts", f"{status} {i}", status, 1.0, f"id{status}{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("the_run", "first_page", "expected"),
    [
        # Counted by the statistics: asked for, even when the first page seems to list them all.
        (run(failed=2, flaky=1), listing("failed", 2) + listing("flaky", 1), ["failed", "flaky"]),
        (run(failed=3), [], ["failed"]),
        # Listed on the first page but not counted: asked for as well.
        (run("passed", failed=0), listing("failed", 1), ["failed"]),
        (run("passed"), listing("flaky", 1), ["flaky"]),
        # A failed run with no failed test counted or listed is looked at anyway.
        (run("failed"), [], ["failed"]),
        # Nothing failed or flaky anywhere: nothing to list.
        (run("passed"), listing("passed", 5), []),
    ],
    ids=["counted", "counted-not-listed", "listed-not-counted", "flaky-listed", "failed-run", "clean"],
)
def test_statuses_to_list(the_run: Run, first_page: list[TestResult], expected: list[str]) -> None:
    assert statuses_to_list(the_run, first_page) == expected
