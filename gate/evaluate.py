"""The rules of the gate: pure functions from a run, its tests and the policy in force to a Verdict."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any

from gate.checks import Check
from gate.config.types import COUNT_KEYS, History, QuarantineEntry, Rule, Thresholds
from gate.flaky import Release, new_flaky_check, released, split_flaky, unknown_flaky_note
from gate.history import Lookups, TestHistory, forgiven_failures, histories, history_of, own_build_notes
from gate.model import FINAL_STATUSES, TEST_STATUSES, Run, TestResult, is_total_name
from gate.policy import InForce, expiring, split_quarantined


@dataclass(frozen=True)
class BaselineRun:
    """The run a baseline compares with (None when no finished run was found) and its failed tests."""

    run_id: str | None
    failed: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Case:
    """What a run is judged on: the run, every listing of its tests, the policy in force for it, the baseline
    run (when the policy has one) and the result histories looked up (when a history section is in force).

    A listing is any view of the run's tests, of any status: the poll's first page, the pages of a status,
    a saved answer's pages. Every status counts the larger of its statistic and the tests listed.
    """

    run: Run
    listings: Sequence[Sequence[TestResult]]
    in_force: InForce
    baseline: BaselineRun | None = None
    lookups: Lookups | None = None
    # Whether the passed tests quarantine entries match were listed (see gate.job.release).
    passed_listed: bool = False


@dataclass(frozen=True)
class Verdict:
    """Every check of a finished run; the gate passes only when all of them hold. Warnings never fail it."""

    checks: tuple[Check, ...]
    counts: dict[str, int]
    total: int
    warnings: tuple[Check, ...] = ()
    quarantined: tuple[tuple[TestResult, QuarantineEntry], ...] = ()
    expired_quarantine: tuple[QuarantineEntry, ...] = ()
    # The entries in force whose last day is within EXPIRING_DAYS (see gate.policy.expiring).
    expiring_quarantine: tuple[QuarantineEntry, ...] = ()
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
    # The flaky tests (of flaky_tests) whose history is new: passed in every past run counted.
    new_flaky: tuple[TestResult, ...] = ()
    # The quarantine entries in force ready to release (a note: they change nothing), and whether release was
    # judged (the passed tests the entries match were listed: an unused entry then matched no test at all).
    quarantine_release: tuple[Release, ...] = ()
    release_judged: bool = False
    # The run the baseline compared with and its branch, when it was compared (None and None otherwise).
    baseline: BaselineRun | None = None
    baseline_branch: str | None = None

    def fails_on_baseline(self, test: TestResult) -> bool:
        """Whether this failed test also failed in the baseline run (by spec file and title)."""
        return self.baseline is not None and (test.spec, test.title) in self.baseline.failed

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
_STATUS = attrgetter("status")


def listed_by_status(*listings: Iterable[TestResult]) -> dict[str, tuple[TestResult, ...]]:
    """Every test the listings show, by status, in the order first seen, each test once.

    A test is known by (test_id, spec, title, status). Within one listing the same key twice is two
    tests (a title may repeat in a spec: parametrized tests); several listings are views of the same run
    (the poll's first page, the failed pages), so a key counts as often as the one listing that shows it
    most. A server that changes ids between views only makes the count larger: never a pass.

    Keys are made only of the tests another listing could also hold: for each status, every test of the
    listing that shows the most of that status is taken as it is, but for those whose key a smaller
    listing shows too (a large run's hundred thousand failures are never all keyed and counted at once).
    """
    views = [listing if isinstance(listing, (list, tuple)) else list(listing) for listing in listings]
    largest = _largest_listing_by_status(views)
    # The keys a listing other than the largest of their status shows: the only ones two listings can share.
    shared: set[_TestKey] = set()
    for index, view in enumerate(views):
        shared.update(map(_KEY, (test for test in view if largest[test.status] != index)))
    shared_statuses = {key[3] for key in shared}
    most: dict[_TestKey, int] = {}
    kept: dict[str, list[TestResult]] = {}
    for view in views:
        seen: dict[_TestKey, int] = {}
        for test in view:
            status = test.status
            if status in shared_statuses:
                key = _KEY(test)
                if key in shared:
                    seen[key] = seen.get(key, 0) + 1
                    if seen[key] <= most.get(key, 0):
                        continue  # an earlier listing showed this test as many times already
            # (A status no key is shared of is shown by one listing alone: each of its tests is taken.)
            tests = kept.get(status)
            if tests is None:
                tests = kept[status] = []
            tests.append(test)
        for key, count in seen.items():
            most[key] = max(count, most.get(key, 0))
    return {status: tuple(tests) for status, tests in kept.items()}


def _largest_listing_by_status(views: Sequence[Sequence[TestResult]]) -> dict[str, int]:
    """For each status, the index of the listing that shows the most tests of it (the first of equals)."""
    largest: dict[str, tuple[int, int]] = {}
    for index, view in enumerate(views):
        for status, count in Counter(map(_STATUS, view)).items():
            if count > largest.get(status, (0, 0))[0]:
                largest[status] = (count, index)
    return {status: index for status, (_count, index) in largest.items()}


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


@dataclass(frozen=True)
class Listed:
    """Every test the listings show, by status, each once; and the failed and flaky ones split by the
    quarantine in force: those that count, and those quarantined with the (first) entry that covers each."""

    by_status: Mapping[str, tuple[TestResult, ...]]
    failed: tuple[TestResult, ...]
    flaky: tuple[TestResult, ...]
    quarantined_failed: tuple[tuple[TestResult, QuarantineEntry], ...]
    quarantined_flaky: tuple[tuple[TestResult, QuarantineEntry], ...]


def listed_tests(listings: Iterable[Iterable[TestResult]], in_force: InForce) -> Listed:
    """The tests of the listings by status, the failed and flaky ones split by the quarantine, once."""
    by_status = listed_by_status(*listings)
    failed, quarantined_failed = split_quarantined(by_status.get("failed", ()), in_force.quarantine)
    flaky, quarantined_flaky = split_quarantined(by_status.get("flaky", ()), in_force.quarantine)
    return Listed(by_status, tuple(failed), tuple(flaky), tuple(quarantined_failed), tuple(quarantined_flaky))


@dataclass(frozen=True)
class _Tally:
    """What a judgement counts: the tests listed, the counts (quarantined and forgiven failures taken out),
    the failed tests counted before that, and the histories of the tests looked up."""

    tests: Listed
    counts: dict[str, int]
    total: int
    counted_failed: int
    histories: Mapping[str, TestHistory]
    forgiven: tuple[TestResult, ...]


def _tally(case: Case, not_looked_up: str) -> _Tally:
    """Count the case: per status, the larger of the statistic and the tests listed, then quarantine and
    history take out the failures they cover. A `Total` statistic is no status (see Run.total)."""
    run, section = case.run, case.in_force.history
    tests = listed_tests(case.listings, case.in_force)
    listed = tests.by_status
    statuses = dict.fromkeys((*run.statistics, *listed, "failed", "flaky"))
    counts = {status: counted(run, status, listed.get(status, ())) for status in statuses if not is_total_name(status)}
    total = max(run.total, sum(counts.values()))
    classed: dict[str, TestHistory] = {}
    if section is not None and case.lookups is not None:
        every = [test for status_tests in listed.values() for test in status_tests]
        classed = histories(case.lookups, section, every, itertools.chain.from_iterable(case.listings))
    elif section is not None:
        # Stopped early without classes to forgive (or judged with nothing looked up): unknown, and why.
        why = TestHistory("unknown", reason=not_looked_up)
        classed = {test.test_id: why for test in (*tests.failed, *tests.flaky) if test.test_id is not None}
    forgiven = forgiven_failures(tests.failed, section, classed) if section is not None else ()
    counted_failed = counts["failed"]
    counts["failed"] -= len(tests.quarantined_failed) + len(forgiven)
    counts["flaky"] -= len(tests.quarantined_flaky)
    return _Tally(tests, counts, total, counted_failed, classed, forgiven)


def _verdict(
    case: Case,
    tally: _Tally,
    checks: Sequence[Check],
    *,
    warnings: tuple[Check, ...] = (),
    new_failures: tuple[TestResult, ...] = (),
    notes: tuple[str, ...] = (),
    stopped_early: bool = False,
    new_flaky: tuple[TestResult, ...] = (),
) -> Verdict:
    """The verdict of the checks made, with what was counted and the policy in force that judged it."""
    in_force, tests = case.in_force, tally.tests
    compared = any(check.key == "new_failures" for check in checks)
    quarantined = (*tests.quarantined_failed, *tests.quarantined_flaky)
    used = {entry.key_path for _test, entry in quarantined}
    section = in_force.history
    judged = case.passed_listed and section is not None
    unused: tuple[QuarantineEntry, ...] | None = None
    release: tuple[Release, ...] = ()
    if case.passed_listed and section is not None:
        idle = [entry for entry in in_force.quarantine if entry.key_path not in used]
        unused, release = released(idle, tests.by_status, tally.histories, section.branch)
    return Verdict(
        checks=tuple(checks),
        counts=tally.counts,
        total=tally.total,
        warnings=warnings,
        quarantined=quarantined,
        expired_quarantine=in_force.expired_quarantine,
        expiring_quarantine=tuple(e for e in in_force.quarantine if in_force.today and expiring(e, in_force.today)),
        unused_quarantine=unused
        if unused is not None
        else tuple(e for e in in_force.quarantine if e.key_path not in used),
        rules_applied=in_force.rules_applied,
        new_failures=new_failures,
        limits=in_force.thresholds,
        notes=notes,
        stopped_early=stopped_early,
        today=in_force.today,
        listed=tests.by_status,
        failed_tests=tests.failed,
        flaky_tests=tests.flaky,
        history=in_force.history,
        histories=tally.histories,
        forgiven=tally.forgiven,
        new_flaky=new_flaky,
        quarantine_release=release,
        release_judged=judged,
        baseline=case.baseline if compared else None,
        baseline_branch=in_force.baseline.branch if compared and in_force.baseline else None,
    )


def evaluate(case: Case) -> Verdict:
    """Judge a finished run: the limits in force for its branch and tags, with quarantined tests left out.

    The quarantine entries in force are those of the day the policy was resolved for (none without one).
    With a history section in force, the failures of a class it forgives do not count (a missing lookup is
    unknown, and unknown is never forgiven). The baseline run, when the policy has one, decides which
    failures are new.
    """
    in_force = case.in_force
    tally = _tally(case, "not looked up")
    counts, section = tally.counts, in_force.history
    checks = limit_checks(asdict(in_force.thresholds), counts, tally.total)
    checks.append(unknown_statuses_check(counts))
    newly: tuple[TestResult, ...] = ()
    flaky_notes: tuple[str, ...] = ()
    if section is not None:
        forgiven = len(tally.forgiven)
        detail = f"failures known {' or '.join(section.forgive)} on {section.branch}" if section.forgive else ""
        checks.append(Check("forgiven", forgiven, "<=", section.max_forgiven, forgiven <= section.max_forgiven, detail))
        newly, unknown = split_flaky(tally.tests.flaky, tally.histories)
        flaky_notes = unknown_flaky_note(unknown, tally.histories, section) if in_force.judges_new_flaky else ()
    if in_force.thresholds.new_flaky is not None:
        checks.append(new_flaky_check(in_force.thresholds.new_flaky, newly, section))
    compared, new_failures, notes = _compared_with_baseline(case, tally)
    notes += flaky_notes
    notes += own_build_notes(case.lookups, len(tally.forgiven))
    checks += [compared] if compared is not None else []
    # A run ends `failed` because of its failed tests, and because of timed-out and interrupted ones too
    # (Playwright counts a timed-out test as a failure): any of them explains the status.
    explaining = counts["failed"] + counts.get("timed_out", 0) + counts.get("interrupted", 0)
    out_of_count = len(tally.tests.quarantined_failed) + len(tally.forgiven)
    checks.append(status_check(case.run, in_force.fail_on, explaining, out_of_count))
    soft = limit_checks(in_force.warn, counts, tally.total)
    if in_force.warn.get("new_flaky") is not None:
        soft.append(new_flaky_check(in_force.warn["new_flaky"], newly, section))
    warnings = tuple(check for check in soft if not check.passed)
    return _verdict(case, tally, checks, warnings=warnings, new_failures=new_failures, notes=notes, new_flaky=newly)


def _compared_with_baseline(case: Case, tally: _Tally) -> tuple[Check | None, tuple[TestResult, ...], tuple[str, ...]]:
    """The new-failures check and the new failures, or why there is no comparison; nothing without a baseline."""
    section, baseline = case.in_force.baseline, case.baseline
    if section is None or baseline is None:
        return None, (), ()
    if baseline.run_id is None:
        skipped = (
            f"no finished run on the baseline branch {section.branch!r} was found; the new-failures check was skipped"
        )
        return None, (), (skipped,)
    pardoned = set(map(id, tally.forgiven))
    new_failures = tuple(
        t for t in tally.tests.failed if (t.spec, t.title) not in baseline.failed and id(t) not in pardoned
    )
    # Failures counted but not listed may be new too: they count as new (fail closed).
    unlisted = max(0, tally.counted_failed - len(tally.tests.by_status.get("failed", ())))
    actual = len(new_failures) + unlisted
    detail = f"compared with run {baseline.run_id} on {section.branch}"
    return (
        Check("new_failures", actual, "<=", section.new_failures, actual <= section.new_failures, detail),
        new_failures,
        (),
    )


def evaluate_in_progress(case: Case) -> Verdict:
    """Fail fast: judge a run still in progress by its failed tests alone; only a failure can come of it."""
    tally = _tally(case, "not looked up before the gate stopped early")
    checks = limit_checks({"failed": case.in_force.thresholds.failed}, tally.counts, tally.total)
    return _verdict(case, tally, checks, stopped_early=True)
