"""The rules of the gate: pure functions from a finished run, its tests and a policy to a Verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gate.config import COUNT_KEYS, Policy
from gate.model import FINAL_STATUSES, Run, TestResult

Comparison = Literal["<=", ">=", "not in"]

CHECK_NAMES = {
    "failed": "failed tests",
    "flaky": "flaky tests",
    "skipped": "skipped tests",
    "timed_out": "timed-out tests",
    "interrupted": "interrupted tests",
    "failed_rate": "failed rate",
    "flaky_rate": "flaky rate",
    "min_tests": "tests run",
    "status": "final status",
}


@dataclass(frozen=True)
class Check:
    """One rule applied to the run: what was found, the limit, and whether it held."""

    key: str
    actual: int | float | str
    comparison: Comparison
    limit: int | float | tuple[str, ...]
    passed: bool
    detail: str = ""

    @property
    def name(self) -> str:
        """The check as a reader calls it."""
        return CHECK_NAMES.get(self.key, self.key)


@dataclass(frozen=True)
class Verdict:
    """Every check of a finished run; the gate passes only when all of them hold."""

    checks: tuple[Check, ...]
    counts: dict[str, int]
    total: int

    @property
    def passed(self) -> bool:
        """True only when there is at least one check and every check held."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        """The checks that did not hold."""
        return tuple(check for check in self.checks if not check.passed)


def counted(run: Run, status: str, listed: Sequence[TestResult]) -> int:
    """A status's count: the statistics, or the tests listed when they are more (never the fewer)."""
    return max(run.count(status), len(listed))


def status_check(run: Run, policy: Policy, failed: int) -> Check:
    """The run's final status must be known, not one the policy fails on, and explained by its tests."""
    fail_on = policy.fail_on
    if run.status not in FINAL_STATUSES:
        detail = f"`{run.status}` is not a final status the gate knows; it never passes an unknown state"
        return Check("status", run.status, "not in", fail_on, passed=False, detail=detail)
    if run.status in fail_on:
        return Check("status", run.status, "not in", fail_on, passed=False, detail=f"the run ended {run.status}")
    if run.status == "failed" and failed == 0:
        detail = "the run failed but no failed test was counted; the gate does not pass an unexplained failure"
        return Check("status", run.status, "not in", fail_on, passed=False, detail=detail)
    return Check("status", run.status, "not in", fail_on, passed=True)


def evaluate(
    run: Run, failed_tests: Sequence[TestResult], flaky_tests: Sequence[TestResult], policy: Policy
) -> Verdict:
    """Judge a finished run: one check per limit set in the policy, then the test count and the status."""
    limits = policy.thresholds
    counts = {name: run.count(name) for name in run.statistics}
    counts["failed"] = counted(run, "failed", failed_tests)
    counts["flaky"] = counted(run, "flaky", flaky_tests)
    total = max(run.total, sum(counts.values()))
    checks: list[Check] = []
    for key in COUNT_KEYS:
        limit = getattr(limits, key)
        if limit is not None:
            actual = counts.get(key, 0)
            checks.append(Check(key, actual, "<=", limit, passed=actual <= limit))
    for key, status in (("failed_rate", "failed"), ("flaky_rate", "flaky")):
        rate_limit = getattr(limits, key)
        if rate_limit is not None:
            rate = counts.get(status, 0) / total if total else 0.0
            checks.append(Check(key, rate, "<=", rate_limit, passed=rate <= rate_limit))
    checks.append(Check("min_tests", total, ">=", limits.min_tests, passed=total >= limits.min_tests))
    checks.append(status_check(run, policy, counts["failed"]))
    return Verdict(checks=tuple(checks), counts=counts, total=total)
