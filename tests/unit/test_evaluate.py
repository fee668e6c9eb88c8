"""Evaluation: every check, and the fail-closed rules for statuses and counts."""

from __future__ import annotations

from typing import Any

import pytest

from gate.config.types import Policy, Rule, Thresholds
from gate.evaluate import evaluate, evaluate_in_progress, listed_by_status
from gate.model import Run, TestResult
from tests.conftest import case


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
    verdict = evaluate(case(run()))
    assert verdict.passed
    assert checks(verdict) == {
        "failed": (0, True),
        "timed_out": (0, True),
        "interrupted": (0, True),
        "min_tests": (10, True),
        "unknown_statuses": (0, True),
        "status": ("passed", True),
    }


def test_failed_tests_over_the_limit_fail() -> None:
    verdict = evaluate(case(run("failed", failed=2), failing(2)))
    assert not verdict.passed
    assert checks(verdict)["failed"] == (2, False)


def test_failed_tests_within_the_limit_pass_even_when_the_run_failed() -> None:
    assert evaluate(case(run("failed", failed=2), failing(2), policy=policy(failed=2))).passed


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
    verdict = evaluate(case(run(**{key: count}), policy=policy(**{key: limit})))
    assert checks(verdict)[key] == (count, ok)


def test_rates() -> None:
    verdict = evaluate(
        case(run("failed", passed=95, failed=5), failing(5), policy=policy(failed=None, failed_rate=0.05))
    )
    assert checks(verdict)["failed_rate"] == (0.05, True)
    verdict = evaluate(
        case(run("failed", passed=94, failed=6), failing(6), policy=policy(failed=None, failed_rate=0.05))
    )
    assert checks(verdict)["failed_rate"] == (0.06, False)


def test_flaky_rate_counts_listed_tests_when_statistics_are_fewer() -> None:
    flaky = [TestResult("a", f"t{i}", "flaky", None) for i in range(3)]
    verdict = evaluate(case(run(flaky=1), flaky, policy=policy(flaky_rate=0.1)))
    assert checks(verdict)["flaky_rate"][1] is False


def test_an_empty_run_fails_by_default() -> None:
    verdict = evaluate(case(Run("p", "r", "passed", False, {})))
    assert checks(verdict)["min_tests"] == (0, False)
    assert not verdict.passed


def test_min_tests_zero_lets_an_empty_run_pass() -> None:
    assert evaluate(case(Run("p", "r", "passed", False, {}), policy=policy(min_tests=0))).passed


@pytest.mark.parametrize("status", ["timed_out", "interrupted"])
def test_statuses_in_fail_on_fail(status: str) -> None:
    verdict = evaluate(case(run(status)))
    assert checks(verdict)["status"] == (status, False)


def test_fail_on_can_be_emptied() -> None:
    assert evaluate(case(run("interrupted"), policy=policy(fail_on=()))).passed


@pytest.mark.parametrize("status", ["exploded", "cancelled", "unknown", "skipped"])
def test_an_unknown_final_status_fails(status: str) -> None:
    verdict = evaluate(case(run(status)))
    assert not verdict.passed
    assert "never passes an unknown state" in verdict.failed_checks[0].detail


def test_a_failed_run_without_failed_tests_fails() -> None:
    verdict = evaluate(case(run("failed", passed=3, skipped=1), policy=policy(failed=5)))
    assert not verdict.passed
    assert "no failed test was counted" in verdict.failed_checks[0].detail


def test_a_failed_run_explained_by_an_allowed_timed_out_test_passes() -> None:
    """Playwright ends a run `failed` when a test timed out: within its limit, that explains the status."""
    assert evaluate(case(run("failed", passed=3, timed_out=1), policy=policy(failed=0, timed_out=1))).passed
    assert not evaluate(case(run("failed", passed=3, timed_out=1), policy=policy(failed=0))).passed


def test_listed_failures_count_when_statistics_say_fewer() -> None:
    verdict = evaluate(case(run("failed", failed=0), failing(3), policy=policy(failed=2)))
    assert checks(verdict)["failed"] == (3, False)


def test_no_checks_never_passes() -> None:
    from gate.evaluate import Verdict

    assert not Verdict(checks=(), counts={}, total=0).passed


LIMITED = ("failed", "flaky", "skipped", "timed_out", "interrupted")


def listing(status: str, n: int, spec: str = "a.spec.ts", ids: bool = True) -> list[TestResult]:
    return [TestResult(spec, f"{status} {i}", status, 1.0, f"t{i}" if ids else None) for i in range(n)]


@pytest.mark.parametrize("status", LIMITED)
@pytest.mark.parametrize(("stated", "listed", "expected"), [(0, 3, 3), (1, 3, 3), (3, 1, 3), (2, 2, 2), (0, 0, 0)])
def test_every_limited_status_counts_the_larger_of_statistics_and_tests_seen(
    status: str, stated: int, listed: int, expected: int
) -> None:
    verdict = evaluate(
        case(
            run("passed", **{status: stated}),
            listing(status, listed) + listing("passed", 2),
            policy=policy(fail_on=(), **{**dict.fromkeys(LIMITED), status: 1}),
        )
    )
    assert verdict.counts[status] == expected
    assert checks(verdict)[status] == (expected, expected <= 1)
    assert verdict.total == max(10, 2) + expected
    assert verdict.passed is (expected <= 1)


@pytest.mark.parametrize("status", LIMITED)
def test_a_status_the_statistics_omit_but_the_first_page_lists_fails_its_limit(status: str) -> None:
    stats_say_nothing = Run("p", "r", "passed", False, {"passed": 10})
    verdict = evaluate(case(stats_say_nothing, listing(status, 1), policy=policy(**{status: 0})))
    assert not verdict.passed
    assert checks(verdict)[status] == (1, False)


def test_the_same_tests_seen_in_several_listings_count_once() -> None:
    failed, flaky = listing("failed", 3), listing("flaky", 2)
    first_page = [*failed[:2], *flaky, *listing("passed", 4)]
    again = [TestResult(t.spec, t.title, t.status, 9.9, t.test_id) for t in failed]  # equal, not the same object
    verdict = evaluate(
        case(run("failed", failed=3, flaky=2), failed, flaky, first_page, again, policy=policy(failed=3))
    )
    assert (verdict.counts["failed"], verdict.counts["flaky"]) == (3, 2)
    assert verdict.passed
    assert verdict.listed["failed"] == tuple(failed)
    assert verdict.listed["passed"] == tuple(first_page[4:])


def test_one_listing_may_hold_the_same_title_twice() -> None:
    parametrized = [TestResult("a.spec.ts", "adds", "failed", 1.0), TestResult("a.spec.ts", "adds", "failed", 2.0)]
    verdict = evaluate(case(run("failed"), parametrized, parametrized[:1], policy=policy(failed=1)))
    assert checks(verdict)["failed"] == (2, False)


def test_a_server_changing_ids_between_views_only_raises_the_count() -> None:
    collected = listing("failed", 2)
    first_page = [TestResult(t.spec, t.title, t.status, t.duration, "other" + (t.test_id or "")) for t in collected]
    verdict = evaluate(case(run("failed", failed=2), collected, first_page, policy=policy(failed=2)))
    assert checks(verdict)["failed"] == (4, False)


def test_listed_by_status_keeps_the_most_any_one_listing_shows() -> None:
    a, b = TestResult("s", "a", "failed", None), TestResult("s", "b", "skipped", None)
    listed = listed_by_status([a, a, b], [a], [a, a, a, b])
    assert [len(listed["failed"]), len(listed["skipped"])] == [3, 1]
    assert listed_by_status() == {}


def test_a_failed_run_fails_when_the_tests_seen_hold_no_failure() -> None:
    verdict = evaluate(case(run("failed"), listing("passed", 10), listing("skipped", 1), policy=policy(failed=5)))
    assert not verdict.passed
    assert "no failed test was counted" in verdict.failed_checks[0].detail


def test_tests_seen_count_in_the_rates_and_the_total() -> None:
    verdict = evaluate(case(run("passed", passed=5), listing("flaky", 2), policy=policy(failed=None, flaky_rate=0.2)))
    assert verdict.total == 7
    assert checks(verdict)["flaky_rate"] == (2 / 7, False)


@pytest.mark.parametrize("name", ["total", "all", "total_tests", "all_tests", "tests"])
def test_a_total_statistic_is_not_added_to_the_statuses(name: str) -> None:
    stats = {"passed": 9, "failed": 1, name: 10}
    verdict = evaluate(
        case(
            Run("p", "r", "failed", False, stats), failing(1), policy=policy(failed=None, failed_rate=0.1, min_tests=11)
        )
    )
    assert verdict.total == 10
    assert checks(verdict)["failed_rate"] == (0.1, True)
    assert checks(verdict)["min_tests"] == (10, False)
    assert name not in verdict.counts


def test_a_total_statistic_larger_than_the_statuses_is_the_total() -> None:
    verdict = evaluate(case(Run("p", "r", "passed", False, {"passed": 3, "Total": 50}), policy=policy(min_tests=50)))
    assert verdict.total == 50 and verdict.passed


def branch_policy(glob: str) -> Policy:
    return Policy(thresholds=Thresholds(failed=0), rules=(Rule(0, glob, (), {"failed": 5}, {}),))


@pytest.mark.parametrize(
    ("run_branch", "ci_branch", "rule_branch", "relaxed"),
    [
        ("main", "feature/x", "main", True),  # the run's branch decides, whatever the CI says
        ("main", "feature/x", "feature/*", False),
        ("release/1", "main", "release/*", True),
        ("release/1", "main", "main", False),
        (None, "main", "main", True),  # the CI's branch only when the run names none
        ("", "main", "main", True),
        (None, None, "main", False),
        ("main", None, "main", True),
    ],
)
def test_the_runs_own_branch_picks_the_rules_before_the_cis(
    run_branch: str | None, ci_branch: str | None, rule_branch: str, relaxed: bool
) -> None:
    three_failed = Run("p", "r", "failed", False, {"passed": 10, "failed": 3}, branch=run_branch)
    verdict = evaluate(case(three_failed, failing(3), policy=branch_policy(rule_branch), branch=ci_branch))
    assert verdict.passed is relaxed
    assert [rule.index for rule in verdict.rules_applied] == ([0] if relaxed else [])
    in_progress = evaluate_in_progress(
        case(three_failed, failing(3), policy=branch_policy(rule_branch), branch=ci_branch)
    )
    assert in_progress.passed is relaxed
