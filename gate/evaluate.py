"""The rules of the gate: pure functions from a finished run, its tests and a policy to a Verdict."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, Literal

from gate.config import COUNT_KEYS, History, Policy, QuarantineEntry, Rule, Thresholds
from gate.history import Lookups, TestHistory, forgiven_failures, histories, history_of
from gate.model import FINAL_STATUSES, TEST_STATUSES, Run, TestResult, is_total_name
from gate.policy import deciding_branch, effective, split_quarantined

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
    "new_failures": "new failures",
    "unknown_statuses": "tests of unknown status",
    "forgiven": "forgiven failures",
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
class BaselineRun:
    """The run a baseline compares with (None when no finished run was found) and its failed tests."""

    run_id: str | None
    failed: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Verdict:
    """Every check of a finished run; the gate passes only when all of them hold. Warnings never fail it."""

    checks: tuple[Check, ...]
    counts: dict[str, int]
    total: int
    warnings: tuple[Check, ...] = ()
    quarantined: tuple[tuple[TestResult, QuarantineEntry], ...] = ()
    expired_quarantine: tuple[QuarantineEntry, ...] = ()
    unused_quarantine: tuple[QuarantineEntry, ...] = ()
    rules_applied: tuple[Rule, ...] = ()
    new_failures: tuple[TestResult, ...] = ()
    limits: Thresholds | None = None
    notes: tuple[str, ...] = ()
    stopped_early: bool = False
    today: datetime.date | None = None
    # Every test any listing showed, by status, each once (see `listed_by_status`): what was counted.
    listed: Mapping[str, tuple[TestResult, ...]] = field(default_factory=dict)
    # The failed and flaky tests that count (listed and not quarantined): what the reports list.
    failed_tests: tuple[TestResult, ...] = ()
    flaky_tests: tuple[TestResult, ...] = ()
    # With a history section in force: the section, each test id looked up classed, and the failed tests
    # forgiven (listed in failed_tests too, but not counted). None and () without one.
    history: History | None = None
    histories: Mapping[str, TestHistory] = field(default_factory=dict)
    forgiven: tuple[TestResult, ...] = ()

    def history_of(self, test: TestResult) -> TestHistory | None:
        """A failed or flaky test's history on the branch; None when no history was asked for."""
        return None if self.history is None else history_of(test, self.histories)

    @cached_property
    def _forgiven_ids(self) -> frozenset[int]:
        return frozenset(map(id, self.forgiven))

    def is_forgiven(self, test: TestResult) -> bool:
        """Whether this failed test (one of `failed_tests`) was forgiven by its history."""
        return id(test) in self._forgiven_ids

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


_TestKey = tuple[str | None, str, str, str]
_KEY = attrgetter("test_id", "spec", "title", "status")


def listed_by_status(*listings: Iterable[TestResult]) -> dict[str, tuple[TestResult, ...]]:
    """Every test the listings show, by status, in the order first seen, each test once.

    A test is known by (test_id, spec, title, status). Within one listing the same key twice is two
    tests (a title may repeat in a spec: parametrized tests); several listings are views of the same run
    (the poll's first page, the failed pages), so a key counts as often as the one listing that shows it
    most. A server that changes ids between views only makes the count larger: never a pass.
    """
    most: dict[_TestKey, int] = {}
    kept: dict[str, list[TestResult]] = {}
    for listing in listings:
        tests = list(listing)
        keys = list(map(_KEY, tests))
        here = Counter(keys)
        if len(here) == len(keys):
            # Every test of the listing is one of a kind (the common case): those not seen before are new.
            new = here.keys() - most.keys()
            for test in (test for test, key in zip(tests, keys, strict=True) if key in new):
                kept.setdefault(test.status, []).append(test)
            most.update(dict.fromkeys(new, 1))
            continue
        seen: dict[_TestKey, int] = {}
        for test, key in zip(tests, keys, strict=True):
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > most.get(key, 0):
                kept.setdefault(test.status, []).append(test)
        for key, count in here.items():
            most[key] = max(count, most.get(key, 0))
    return {status: tuple(tests) for status, tests in kept.items()}


def status_check(run: Run, fail_on: tuple[str, ...], failed: int, quarantined_failed: int = 0) -> Check:
    """The run's final status must be known, not one the policy fails on, and explained by its tests."""
    if run.status not in FINAL_STATUSES:
        detail = f"`{run.status}` is not a final status the gate knows; it never passes an unknown state"
        return Check("status", run.status, "not in", fail_on, passed=False, detail=detail)
    if run.status in fail_on:
        return Check("status", run.status, "not in", fail_on, passed=False, detail=f"the run ended {run.status}")
    if run.status == "failed" and failed == 0 and quarantined_failed == 0:
        detail = "the run failed but no failed test was counted; the gate does not pass an unexplained failure"
        return Check("status", run.status, "not in", fail_on, passed=False, detail=detail)
    return Check("status", run.status, "not in", fail_on, passed=True)


def unknown_statuses_check(counts: Mapping[str, int]) -> Check:
    """Tests counted under a status the gate does not know (`Failures`, `failure`) fail it: what it cannot
    judge, it does not pass."""
    unknown = {name: count for name, count in counts.items() if name not in TEST_STATUSES and count > 0}
    detail = ""
    if unknown:
        named = ", ".join(f"{count} {name}" for name, count in sorted(unknown.items())[:5])
        detail = f"tests of a status the gate does not know ({named}); it does not pass what it cannot judge"
    return Check("unknown_statuses", sum(unknown.values()), "<=", 0, passed=not unknown, detail=detail)


def limit_checks(limits: Mapping[str, Any], counts: Mapping[str, int], total: int) -> list[Check]:
    """One check per limit given: counts, rates and the fewest tests."""
    checks: list[Check] = []
    for key in COUNT_KEYS:
        if limits.get(key) is not None:
            actual = counts.get(key, 0)
            checks.append(Check(key, actual, "<=", limits[key], passed=actual <= limits[key]))
    for key, status in (("failed_rate", "failed"), ("flaky_rate", "flaky")):
        if limits.get(key) is not None:
            rate = counts.get(status, 0) / total if total else 0.0
            checks.append(Check(key, rate, "<=", limits[key], passed=rate <= limits[key]))
    if limits.get("min_tests") is not None:
        checks.append(Check("min_tests", total, ">=", limits["min_tests"], passed=total >= limits["min_tests"]))
    return checks


def evaluate(
    run: Run,
    failed_tests: Sequence[TestResult],
    flaky_tests: Sequence[TestResult],
    policy: Policy,
    *,
    today: datetime.date | None = None,
    branch: str | None = None,
    baseline: BaselineRun | None = None,
    in_progress: bool = False,
    tests_seen: Sequence[Sequence[TestResult]] = (),
    lookups: Lookups | None = None,
) -> Verdict:
    """Judge a run: the limits in force for its branch and tags, with quarantined tests left out.

    `today` decides which quarantine entries apply (none without it); `branch` is the CI's, used only
    when the run names none (the run's own branch decides the rules); `baseline` is the comparison run
    when the policy has one. `tests_seen` holds other listings of the run's tests, of any status (the
    poll's first page, other collected lists): every status counts the larger of its statistic and the
    tests listed. `in_progress` judges a run still running (fail fast): only the failed tests count,
    and only a failure can come of it. `lookups` are the result histories found for the failed and flaky
    tests when a history section is in force: the failures of a class it forgives do not count (a
    missing lookup is unknown, and unknown is never forgiven).
    """
    power = effective(policy, deciding_branch(run.branch, branch), run.tags, today)
    listed = listed_by_status(failed_tests, flaky_tests, *tests_seen)
    # Per status, the larger of the statistic and the tests listed: an answer that lists more tests of a
    # status than it counts is judged by its tests. A `Total` statistic is no status (see Run.total).
    statuses = dict.fromkeys((*run.statistics, *listed, "failed", "flaky"))
    before_quarantine = {
        status: max(run.count(status), len(listed.get(status, ()))) for status in statuses if not is_total_name(status)
    }
    total = max(run.total, sum(before_quarantine.values()))
    listed_failed, listed_flaky = listed.get("failed", ()), listed.get("flaky", ())
    kept_failed, quarantined_failed = split_quarantined(listed_failed, power.in_force)
    kept_flaky, quarantined_flaky = split_quarantined(listed_flaky, power.in_force)
    section = power.history
    every = [test for tests in listed.values() for test in tests]
    views = itertools.chain(failed_tests, flaky_tests, *tests_seen)
    classed = histories(lookups, section, every, views) if section is not None and lookups is not None else {}
    if section is not None and lookups is None:
        # Stopped early without classes to forgive (or judged with nothing looked up): unknown, and why.
        why = TestHistory(
            "unknown", reason="not looked up before the gate stopped early" if in_progress else "not looked up"
        )
        classed = {test.test_id: why for test in (*kept_failed, *kept_flaky) if test.test_id is not None}
    forgiven = forgiven_failures(kept_failed, section, classed) if section is not None else ()
    counts = dict(before_quarantine)
    counted_failed = counts["failed"]
    counts["failed"] -= len(quarantined_failed) + len(forgiven)
    counts["flaky"] -= len(quarantined_flaky)
    limits = asdict(power.thresholds)
    quarantined = (*quarantined_failed, *quarantined_flaky)
    used = {entry.index for _test, entry in quarantined}
    common: dict[str, Any] = {
        "counts": counts,
        "total": total,
        "quarantined": quarantined,
        "expired_quarantine": power.expired,
        "unused_quarantine": tuple(e for e in power.in_force if e.index not in used),
        "rules_applied": power.rules_applied,
        "limits": power.thresholds,
        "today": today,
        "listed": listed,
        "failed_tests": tuple(kept_failed),
        "flaky_tests": tuple(kept_flaky),
        "history": section,
        "histories": classed,
        "forgiven": forgiven,
    }
    if in_progress:
        checks = limit_checks({"failed": limits["failed"]}, counts, total)
        return Verdict(checks=tuple(checks), stopped_early=True, **common)
    checks = limit_checks(limits, counts, total)
    checks.append(unknown_statuses_check(counts))
    if section is not None:
        detail = f"failures known {' or '.join(section.forgive)} on {section.branch}" if section.forgive else ""
        checks.append(
            Check("forgiven", len(forgiven), "<=", section.max_forgiven, len(forgiven) <= section.max_forgiven, detail)
        )
    notes: list[str] = []
    new_failures: tuple[TestResult, ...] = ()
    if policy.baseline is not None and baseline is not None:
        if baseline.run_id is None:
            notes.append(
                f"no finished run on the baseline branch {policy.baseline.branch!r} was found; "
                "the new-failures check was skipped"
            )
        else:
            pardoned = set(map(id, forgiven))
            new_failures = tuple(
                t for t in kept_failed if (t.spec, t.title) not in baseline.failed and id(t) not in pardoned
            )
            # Failures counted but not listed may be new too: they count as new (fail closed).
            unlisted = max(0, counted_failed - len(listed_failed))
            actual = len(new_failures) + unlisted
            limit = policy.baseline.new_failures
            checks.append(
                Check(
                    "new_failures",
                    actual,
                    "<=",
                    limit,
                    passed=actual <= limit,
                    detail=f"compared with run {baseline.run_id} on {policy.baseline.branch}",
                )
            )
    # A run ends `failed` because of its failed tests, and because of timed-out and interrupted ones too
    # (Playwright counts a timed-out test as a failure): any of them explains the status.
    explaining = counts["failed"] + counts.get("timed_out", 0) + counts.get("interrupted", 0)
    checks.append(status_check(run, power.fail_on, explaining, len(quarantined_failed) + len(forgiven)))
    warnings = tuple(check for check in limit_checks(power.warn, counts, total) if not check.passed)
    return Verdict(checks=tuple(checks), warnings=warnings, new_failures=new_failures, notes=tuple(notes), **common)


# Checks that listing the tests could still change, when quarantine is in force (or history may forgive):
# they take failed and flaky tests out of these counts.
_QUARANTINE_MAY_CHANGE = frozenset({"failed", "flaky", "failed_rate", "flaky_rate", "new_failures"})


def known_failure(
    run: Run, tests: Sequence[TestResult], policy: Policy, *, today: datetime.date | None, branch: str | None
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
        return (bool(power.in_force) or power.forgiving) and check.key in _QUARANTINE_MAY_CHANGE

    return None if all(may_change(check) for check in verdict.failed_checks) else verdict
