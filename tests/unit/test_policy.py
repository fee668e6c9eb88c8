"""Policy: quarantine matching and expiry (day boundary, clock injected), rules merged in order, warnings,
baseline diff, fail fast; and the strict config of those sections."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.config.parse import parse_policy
from gate.config.types import Baseline, Policy, QuarantineEntry, Rule, Thresholds
from gate.errors import ConfigError
from gate.evaluate import BaselineRun, evaluate, evaluate_in_progress
from gate.model import Run, TestResult
from gate.policy import (
    EntryMatcher,
    PolicyInForce,
    applies_on,
    deciding_branch,
    in_force,
    matches,
    rule_applies,
    split_quarantined,
)
from tests.conftest import case

TODAY = datetime.date(2026, 11, 28)


def entry(
    index: int = 0,
    spec: str | None = None,
    test: str | None = None,
    until: datetime.date = TODAY,
    owner: str | None = None,
) -> QuarantineEntry:
    return QuarantineEntry(index, spec, test, f"reason {index}", until, owner)


def t(spec: str, title: str, status: str = "failed") -> TestResult:
    return TestResult(spec, title, status, 1.0)


def run(status: str = "failed", branch: str | None = "main", tags: tuple[str, ...] = (), **stats: int) -> Run:
    return Run("p", "r", status, False, {"passed": 10, **stats}, branch=branch, tags=tags)


@pytest.mark.parametrize(
    ("spec", "test", "target", "expected"),
    [
        ("checkout/*.spec.ts", None, t("checkout/pay.spec.ts", "x"), True),
        ("checkout/*.spec.ts", None, t("cart.spec.ts", "x"), False),
        (None, "applies a * coupon", t("a", "applies a 10% coupon"), True),
        (None, "applies a * coupon", t("a", "Applies a 10% coupon"), False),
        ("checkout/*", "applies *", t("checkout/a", "applies x"), True),
        ("checkout/*", "applies *", t("cart/a", "applies x"), False),
        ("a?.spec.ts", None, t("ab.spec.ts", "x"), True),
        ("[ab].spec.ts", None, t("c.spec.ts", "x"), False),
    ],
)
def test_matching_needs_every_glob_given(spec, test, target, expected) -> None:
    assert matches(entry(spec=spec, test=test), target) is expected


def test_expiry_at_the_day_boundary() -> None:
    last_day = entry(until=TODAY)
    assert applies_on(last_day, TODAY)
    assert not applies_on(last_day, TODAY + datetime.timedelta(days=1))
    assert applies_on(last_day, TODAY - datetime.timedelta(days=30))
    assert not applies_on(last_day, None)


def test_rules_apply_by_branch_glob_and_any_tag() -> None:
    release = Rule(0, "release/*", (), {}, {})
    nightly = Rule(1, None, ("nightly", "weekly"), {}, {})
    both = Rule(2, "main", ("smoke",), {}, {})
    assert rule_applies(release, "release/1.2", ())
    assert not rule_applies(release, "main", ())
    assert not rule_applies(release, None, ())
    assert rule_applies(nightly, None, ("x", "weekly"))
    assert not rule_applies(nightly, "main", ("smoke",))
    assert rule_applies(both, "main", ("smoke",)) and not rule_applies(both, "main", ("nightly",))


def test_later_rules_override_earlier_ones_key_by_key() -> None:
    policy = Policy(
        thresholds=Thresholds(failed=0, flaky=5),
        warn={"flaky": 2},
        rules=(
            Rule(0, "release/*", (), {"flaky": 0, "skipped": 3}, {}),
            Rule(1, None, ("nightly",), {"flaky": 9}, {"flaky": 10}, ("failed",)),
            Rule(2, "main", (), {"failed": 99}, {}),
        ),
    )
    policy_in_force = in_force(policy, "release/2", ("nightly",), TODAY)
    assert policy_in_force.thresholds == Thresholds(failed=0, flaky=9, skipped=3)
    assert policy_in_force.warn == {"flaky": 10}
    assert policy_in_force.fail_on == ("failed",)
    assert [rule.index for rule in policy_in_force.rules_applied] == [0, 1]


def test_split_takes_the_first_matching_entry() -> None:
    entries = (entry(0, spec="a*"), entry(1, test="*"))
    kept, quarantined = split_quarantined([t("a1", "x"), t("b", "y")], entries)
    assert kept == []
    assert [(test.spec, e.index) for test, e in quarantined] == [("a1", 0), ("b", 1)]


def test_a_failure_explained_only_by_quarantined_tests_passes() -> None:
    policy = Policy(quarantine=(entry(0, spec="checkout/*"),))
    failed = [t("checkout/a.spec.ts", "x"), t("checkout/b.spec.ts", "y")]
    verdict = evaluate(case(run(failed=2), failed, policy=policy, today=TODAY))
    assert verdict.passed
    assert verdict.counts["failed"] == 0
    assert len(verdict.quarantined) == 2


def test_quarantine_does_not_apply_after_it_expired_nor_without_a_date() -> None:
    policy = Policy(quarantine=(entry(0, spec="*", until=TODAY - datetime.timedelta(days=1)),))
    failed = [t("a", "x")]
    verdict = evaluate(case(run(failed=1), failed, policy=policy, today=TODAY))
    assert not verdict.passed
    assert [e.index for e in verdict.expired_quarantine] == [0]
    in_force_policy = Policy(quarantine=(entry(0, spec="*"),))
    assert not evaluate(case(run(failed=1), failed, policy=in_force_policy, today=None)).passed


def test_failures_counted_but_not_listed_still_count() -> None:
    policy = Policy(quarantine=(entry(0, spec="*"),))
    verdict = evaluate(case(run(failed=3), [t("a", "x")], policy=policy, today=TODAY))
    assert verdict.counts["failed"] == 2 and not verdict.passed


def test_unused_entries_are_reported() -> None:
    policy = Policy(quarantine=(entry(0, spec="used*"), entry(1, spec="nothing*")))
    verdict = evaluate(case(run(failed=1), [t("used.spec.ts", "x")], policy=policy, today=TODAY))
    assert [e.index for e in verdict.unused_quarantine] == [1]


def test_quarantined_flaky_tests_leave_the_flaky_count() -> None:
    policy = Policy(thresholds=Thresholds(flaky=0), quarantine=(entry(0, test="flaky *"),))
    flaky = [t("a", "flaky one", "flaky")]
    assert evaluate(case(run("passed", flaky=1), flaky, policy=policy, today=TODAY)).passed


def test_warnings_never_fail_the_gate() -> None:
    policy = Policy(warn={"flaky": 1, "min_tests": 100})
    flaky = [t("a", str(i), "flaky") for i in range(3)]
    verdict = evaluate(case(run("passed", flaky=3), flaky, policy=policy, today=TODAY))
    assert verdict.passed
    assert {check.key for check in verdict.warnings} == {"flaky", "min_tests"}


def test_baseline_counts_new_failures_only() -> None:
    policy = Policy(thresholds=Thresholds(failed=None), baseline=Baseline("main", 0))
    failed = [t("a", "old"), t("a", "new")]
    verdict = evaluate(
        case(
            run(failed=2), failed, policy=policy, today=TODAY, baseline=BaselineRun("base1", frozenset({("a", "old")}))
        )
    )
    assert [test.title for test in verdict.new_failures] == ["new"]
    check = next(check for check in verdict.checks if check.key == "new_failures")
    assert (check.actual, check.passed) == (1, False)
    assert "base1" in check.detail


def test_baseline_ignores_quarantined_failures_but_counts_unlisted_ones() -> None:
    policy = Policy(
        thresholds=Thresholds(failed=None), baseline=Baseline("main", 1), quarantine=(entry(0, test="known"),)
    )
    failed = [t("a", "known"), t("a", "new")]
    verdict = evaluate(case(run(failed=3), failed, policy=policy, today=TODAY, baseline=BaselineRun("b", frozenset())))
    check = next(check for check in verdict.checks if check.key == "new_failures")
    assert check.actual == 2 and not check.passed


def test_no_baseline_run_skips_the_check_and_says_so() -> None:
    policy = Policy(baseline=Baseline("main", 0))
    verdict = evaluate(case(run("passed"), policy=policy, today=TODAY, baseline=BaselineRun(None)))
    assert verdict.passed
    assert "new_failures" not in {check.key for check in verdict.checks}
    assert "no finished run on the baseline branch 'main' was found" in verdict.notes[0]


def test_fail_fast_judges_only_the_failed_count() -> None:
    running = Run("p", "r", "failing", True, {"failed": 2}, branch="main")
    policy = Policy(thresholds=Thresholds(failed=1), fail_fast=True, quarantine=(entry(0, test="q"),))
    failing = evaluate_in_progress(case(running, [t("a", "x"), t("a", "y")], policy=policy, today=TODAY))
    assert not failing.passed and failing.stopped_early
    assert [check.key for check in failing.checks] == ["failed"]
    quarantined = evaluate_in_progress(case(running, [t("a", "x"), t("a", "q")], policy=policy, today=TODAY))
    assert quarantined.passed


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {
                "quarantine": [
                    {"spec": "a"},
                    {"spec": "b", "reason": "r"},
                    {"spec": "c", "reason": "r", "until": "soon"},
                ]
            },
            "quarantine[2].until: must be a date such as 2026-12-31",
        ),
        ({"quarantine": [{"spec": "a", "until": "2026-12-31"}]}, "quarantine[0].reason: is required"),
        ({"quarantine": [{"spec": "a", "reason": "r"}]}, "quarantine[0].until: is required"),
        ({"quarantine": [{"reason": "r", "until": "2026-12-31"}]}, "quarantine[0]: needs `spec`, `test` or both"),
        (
            {"quarantine": [{"spec": "a[b", "reason": "r", "until": "2026-12-31"}]},
            "quarantine[0].spec: is not a valid glob",
        ),
        ({"quarantine": [{"spec": "", "reason": "r", "until": "2026-12-31"}]}, "quarantine[0].spec: must be a glob"),
        (
            {"quarantine": [{"spec": "a", "reason": "r", "until": "2026-12-31", "ownr": "x"}]},
            "quarantine[0].ownr: unknown key; did you mean `owner`?",
        ),
        ({"rules": [{"thresholds": {}}]}, "rules[0].when: is required"),
        ({"rules": [{"when": {"branch": "["}}]}, "rules[0].when.branch: is not a valid glob"),
        ({"rules": [{"when": {"tags": "x"}}]}, "rules[0].when.tags: must be a list"),
        (
            {"rules": [{"when": {"branch": "x"}, "thresholds": {"flakey": 1}}]},
            "rules[0].thresholds.flakey: unknown key; did you mean `flaky`?",
        ),
        (
            {"rules": [{"when": {"branch": "x"}, "status": {"fail_on": ["nope"]}}]},
            "rules[0].status.fail_on[0]: must be one of",
        ),
        ({"warn": {"flaky": -2}}, "warn.flaky: must be 0 or more"),
        ({"baseline": {"new_failures": 1}}, "baseline.branch: is required"),
        ({"fail_fast": "true"}, "fail_fast: must be true or false"),
    ],
)
def test_new_sections_are_strict_and_name_the_key_path(data: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(data, "gate.yml")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_yaml_dates_and_text_dates_both_work() -> None:
    policy = parse_policy(
        {
            "quarantine": [
                {"spec": "a", "reason": "r", "until": datetime.date(2026, 12, 31)},
                {"test": "b", "reason": "r", "until": "2027-01-02"},
            ]
        },
        "x",
    )
    assert [e.until for e in policy.quarantine] == [datetime.date(2026, 12, 31), datetime.date(2027, 1, 2)]


@pytest.mark.parametrize(
    ("run_branch", "ci_branch", "deciding"),
    [
        ("release/1.2", "main", "release/1.2"),
        ("main", "42/merge", "main"),
        ("main", None, "main"),
        (None, "main", "main"),
        ("", "main", "main"),
        (None, None, None),
    ],
)
def test_the_runs_branch_decides_and_the_cis_only_when_the_run_has_none(
    run_branch: str | None, ci_branch: str | None, deciding: str | None
) -> None:
    assert deciding_branch(run_branch, ci_branch) == deciding
    policy = Policy(rules=(Rule(0, "release/*", (), {"failed": 3}, {}),))
    verdict = evaluate(
        case(run(branch=run_branch, failed=2), [t("a", "x"), t("a", "y")], policy=policy, branch=ci_branch)
    )
    assert verdict.passed is (deciding == "release/1.2")


def test_the_policy_in_force_follows_the_run_as_polled_and_resolves_each_state_once() -> None:
    policy = Policy(rules=(Rule(0, "release/*", (), {"failed": 3}, {}), Rule(1, None, ("nightly",), {"flaky": 2}, {})))
    in_force_for = PolicyInForce(policy, ci_branch="main", today=TODAY)
    unnamed = in_force_for(run(branch=None))
    assert (unnamed.branch, unnamed.thresholds.failed, unnamed.rules_applied) == ("main", 0, ())
    assert in_force_for(run(branch=None)) is unnamed  # the same state again: not resolved anew
    release = in_force_for(run(branch="release/2", tags=("nightly",)))
    assert (release.thresholds.failed, release.thresholds.flaky) == (3, 2)
    assert [rule.index for rule in release.rules_applied] == [0, 1] and release.today == TODAY
    assert in_force_for(run(branch="release/2")).thresholds.flaky is None  # the tags changed: resolved anew


GLOB = st.text(alphabet="ab*?[]!.-/ ", min_size=1, max_size=6)
NAME = st.text(alphabet="ab*?[]!.-/ \n", max_size=8)


@given(
    globs=st.lists(st.tuples(st.none() | GLOB, st.none() | GLOB), min_size=1, max_size=4),
    names=st.lists(st.tuples(NAME, NAME), min_size=1, max_size=6),
)
@example(globs=[("a*", None), (None, "[!a]"), ("[a-", "b")], names=[("ab", "b"), ("[a-", "c")])
def test_the_entry_matcher_agrees_with_matches(
    globs: list[tuple[str | None, str | None]], names: list[tuple[str, str]]
) -> None:
    entries = [
        QuarantineEntry(index, spec, test, "why", datetime.date(2099, 1, 1)) for index, (spec, test) in enumerate(globs)
    ]
    matcher = EntryMatcher(entries)
    for spec, title in names * 2:  # the second time through, the specs are known
        test = TestResult(spec, title, "passed", None)
        assert matcher(test) == tuple(entry for entry in entries if matches(entry, test))
