"""Evaluation: every check, and the fail-closed rules for statuses and counts."""

from __future__ import annotations

from typing import Any

import pytest

from gate.config import Policy, Thresholds
from gate.evaluate import evaluate
from gate.model import Run, TestResult


def run(status: str = "passed", **counts: int) -> Run:
    stats = {"passed": 10, **counts}
    return Run(project_id="p", run_id="r", status=status, is_running=False, statistics=stats)


def policy(**limits: Any) -> Policy:
    fail_on = limits.pop("fail_on", ("timed_out", "interrupted"))
    return Policy(thresholds=Thresholds(**limits), fail_on=fail_on)


def failing(n: int) -> list[TestResult]:
    return [TestResult("a.spec.ts", f"t{i}", "failed", 1.0) for i in range(n)]


def checks(verdict: Any) -> dict[str, tuple[Any, bool]]:
    return {check.key: (check.actual, check.passed) for check in verdict.checks}


def test_a_clean_run_passes_the_defaults() -> None:
    verdict = evaluate(run(), [], [], Policy())
    assert verdict.passed
    assert checks(verdict) == {"failed": (0, True), "min_tests": (10, True), "status": ("passed", True)}


def test_failed_tests_over_the_limit_fail() -> None:
    verdict = evaluate(run("failed", failed=2), failing(2), [], Policy())
    assert not verdict.passed
    assert checks(verdict)["failed"] == (2, False)


def test_failed_tests_within_the_limit_pass_even_when_the_run_failed() -> None:
    assert evaluate(run("failed", failed=2), failing(2), [], policy(failed=2)).passed


@pytest.mark.parametrize(
    ("key", "limit", "count", "ok"),
    [
        ("flaky", 5, 5, True),
        ("flaky", 5, 6, False),
        ("skipped", 0, 1, False),
        ("timed_out", 1, 1, True),
        ("interrupted", 0, 2, False),
    ],
)
def test_count_limits(key: str, limit: int, count: int, ok: bool) -> None:
    verdict = evaluate(run(**{key: count}), [], [], policy(**{key: limit}))
    assert checks(verdict)[key] == (count, ok)


def test_rates() -> None:
    verdict = evaluate(run("failed", passed=95, failed=5), failing(5), [], policy(failed=None, failed_rate=0.05))
    assert checks(verdict)["failed_rate"] == (0.05, True)
    verdict = evaluate(run("failed", passed=94, failed=6), failing(6), [], policy(failed=None, failed_rate=0.05))
    assert checks(verdict)["failed_rate"] == (0.06, False)


def test_flaky_rate_counts_listed_tests_when_statistics_are_fewer() -> None:
    flaky = [TestResult("a", f"t{i}", "flaky", None) for i in range(3)]
    verdict = evaluate(run(flaky=1), [], flaky, policy(flaky_rate=0.1))
    assert checks(verdict)["flaky_rate"][1] is False


def test_an_empty_run_fails_by_default() -> None:
    verdict = evaluate(Run("p", "r", "passed", False, {}), [], [], Policy())
    assert checks(verdict)["min_tests"] == (0, False)
    assert not verdict.passed


def test_min_tests_zero_lets_an_empty_run_pass() -> None:
    assert evaluate(Run("p", "r", "passed", False, {}), [], [], policy(min_tests=0)).passed


@pytest.mark.parametrize("status", ["timed_out", "interrupted"])
def test_statuses_in_fail_on_fail(status: str) -> None:
    verdict = evaluate(run(status), [], [], Policy())
    assert checks(verdict)["status"] == (status, False)


def test_fail_on_can_be_emptied() -> None:
    assert evaluate(run("interrupted"), [], [], policy(fail_on=())).passed


@pytest.mark.parametrize("status", ["exploded", "cancelled", "unknown", "skipped"])
def test_an_unknown_final_status_fails(status: str) -> None:
    verdict = evaluate(run(status), [], [], Policy())
    assert not verdict.passed
    assert "never passes an unknown state" in verdict.failed_checks[0].detail


def test_a_failed_run_without_failed_tests_fails() -> None:
    verdict = evaluate(run("failed", timed_out=1), [], [], policy(failed=5))
    assert not verdict.passed
    assert "no failed test was counted" in verdict.failed_checks[0].detail


def test_listed_failures_count_when_statistics_say_fewer() -> None:
    verdict = evaluate(run("failed", failed=0), failing(3), [], policy(failed=2))
    assert checks(verdict)["failed"] == (3, False)


def test_no_checks_never_passes() -> None:
    from gate.evaluate import Verdict

    assert not Verdict(checks=(), counts={}, total=0).passed
