"""A test's past results on a branch: the result histories answer parsed strictly, and a failed test classed.

Pure functions: the anchor (the run's creation) and the section in force are given, never read here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from gate.config import History
from gate.errors import UnusableAnswerError
from gate.model import TestResult, clean_text, normalise_name

HistoryClass = Literal["new", "flaky", "broken", "unknown"]
# The order reports list failed tests in: what this change broke first, what was forgiven last.
CLASS_ORDER: tuple[HistoryClass, ...] = ("new", "unknown", "broken", "flaky")
# Entries that are results; `skipped` and `interrupted` ones are not.
PASSED = "passed"
FAILURES = frozenset({"failed", "timed_out", "flaky"})
BROKEN_FAILURES = frozenset({"failed", "timed_out"})
RESULT_STATUSES = FAILURES | {PASSED}
# The statuses a report shows of a test's past, newest first.
MAX_LAST = 10
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d\d):?(\d\d))?",
    re.ASCII,  # ASCII digits only: int() would also read `١٩٧٠`
)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past result of a test: what decides its class (the rest of the API's entry is not kept)."""

    status: str
    started_at: datetime.datetime
    branch: str
    run_id: str | None


@dataclass(frozen=True)
class Lookups:
    """What the history lookups of one run found: entries by test id, and why other tests stay unknown."""

    anchor: datetime.datetime
    # The judged run's id (the path's): its own entries are left out.
    run_id: str
    found: Mapping[str, tuple[HistoryEntry, ...]]
    failed: Mapping[str, str]


@dataclass(frozen=True)
class TestHistory:
    """A test's class on the branch, from how many results (`runs`), failures and the last statuses."""

    __test__ = False  # not a pytest test class, whatever its name says

    klass: HistoryClass
    runs: int = 0
    failures: int = 0
    last: tuple[str, ...] = ()
    # Why a test is unknown, in a few words (never text from the API).
    reason: str = ""


NOT_LOOKED_UP = TestHistory("unknown", reason="not looked up: more failed and flaky tests than max_lookups")
NO_TEST_ID = TestHistory("unknown", reason="the API gave the test no test_id to look it up by")


def parse_timestamp(value: object) -> datetime.datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime (no zone is UTC); None when it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, zone_h, zone_m = match.groups()
    if not 1970 <= int(year) <= 9000:  # no run is that old or that far off, and a window must fit in a date
        return None
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, datetime.timezone.utc
        )
        if sign and not zulu:
            offset = datetime.timedelta(hours=int(zone_h), minutes=int(zone_m))
            moment -= offset if sign == "+" else -offset
    except (ValueError, OverflowError):
        return None
    return moment


def anchor_text(anchor: datetime.datetime) -> str:
    """The anchor as the API's `result_history_started_at` takes it: `2026-06-28T09:14:22.000Z`."""
    utc = anchor.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_history(data: object) -> tuple[HistoryEntry, ...]:
    """A result histories answer: its usable entries; UnusableAnswerError when it has no list of them.

    An entry without a string `status`, a parseable `started_at` and a `run` object with a string
    `branch` is skipped, never guessed at.
    """
    entries = data.get("result_histories") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise UnusableAnswerError("the result histories answer has no `result_histories` list")
    kept: list[HistoryEntry] = []
    for item in entries:
        if not isinstance(item, Mapping):
            continue
        status, run = item.get("status"), item.get("run")
        started = parse_timestamp(item.get("started_at"))
        if not isinstance(status, str) or started is None or not isinstance(run, Mapping):
            continue
        branch = run.get("branch")
        if not isinstance(branch, str):
            continue
        run_id = item.get("run_id")
        kept.append(
            HistoryEntry(
                normalise_name(clean_text(status)[:100]),
                started,
                clean_text(branch),
                run_id if isinstance(run_id, str) else None,
            )
        )
    return tuple(kept)


def results_on_branch(
    entries: Sequence[HistoryEntry], section: History, anchor: datetime.datetime, judged_run_id: str
) -> list[str]:
    """The statuses of the results that count, newest first: on the branch, in the window, not this run's."""
    since = anchor - datetime.timedelta(days=section.days)
    kept = [
        entry
        for entry in entries
        if entry.status in RESULT_STATUSES
        and since <= entry.started_at <= anchor
        and fnmatchcase(entry.branch, section.branch)
        and (entry.run_id is None or entry.run_id != judged_run_id)
    ]
    kept.sort(key=lambda entry: (entry.started_at, entry.run_id or ""), reverse=True)
    # One result per run, start and status: an answer that repeats an entry must not reach `min_runs` alone.
    seen: set[tuple[str | None, datetime.datetime, str]] = set()
    statuses = []
    for entry in kept:
        key = (entry.run_id, entry.started_at, entry.status)
        if key not in seen:
            seen.add(key)
            statuses.append(entry.status)
    return statuses


def classify(statuses: Sequence[str], min_runs: int) -> TestHistory:
    """The class of a test from its results on the branch, newest first, decided in the issue's order."""
    runs = len(statuses)
    failures = sum(1 for status in statuses if status in FAILURES)
    last = tuple(statuses[:MAX_LAST])
    if runs < min_runs:
        reason = f"{runs} result{'s' if runs != 1 else ''} in the window, fewer than min_runs ({min_runs})"
        return TestHistory("unknown", runs, failures, last, reason)
    if all(status in BROKEN_FAILURES for status in statuses[:min_runs]):
        return TestHistory("broken", runs, failures, last)
    if PASSED in statuses and failures:
        return TestHistory("flaky", runs, failures, last)
    if failures == 0:
        return TestHistory("new", runs, failures, last)
    return TestHistory("unknown", runs, failures, last, "no pass among its results: neither flaky nor broken")


SHARED_ID = "its id is given to more than one listed test, so the history may be another test's"


def histories(lookups: Lookups, section: History, tests: Iterable[TestResult] = ()) -> dict[str, TestHistory]:
    """Each test id looked up, classed; a lookup that failed is unknown with its reason.

    An id that `tests` (every test listed, of any status) give to more than one test is unknown: one test's
    past must never forgive another, nor one history forgive a test listed twice (the API's documented
    examples use one id for a spec and for a test).
    """
    classed = {
        test_id: classify(results_on_branch(entries, section, lookups.anchor, lookups.run_id), section.min_runs)
        for test_id, entries in lookups.found.items()
    }
    classed.update({test_id: TestHistory("unknown", reason=why) for test_id, why in lookups.failed.items()})
    seen: dict[str, int] = {}
    for test in tests:
        if test.test_id is not None:
            seen[test.test_id] = seen.get(test.test_id, 0) + 1
    classed.update({test_id: TestHistory("unknown", reason=SHARED_ID) for test_id, count in seen.items() if count > 1})
    return classed


def history_of(test: TestResult, classed: Mapping[str, TestHistory]) -> TestHistory:
    """A test's history among those classed: unknown when it has no id or was not looked up."""
    if test.test_id is None:
        return NO_TEST_ID
    return classed.get(test.test_id, NOT_LOOKED_UP)


def forgiven_failures(
    failed: Sequence[TestResult], section: History, classed: Mapping[str, TestHistory]
) -> tuple[TestResult, ...]:
    """The failed tests whose class the section forgives (never new, never unknown: fail closed)."""
    forgivable = set(section.forgive) & {"flaky", "broken"}
    return tuple(test for test in failed if history_of(test, classed).klass in forgivable)


def class_words(history: TestHistory, branch: str) -> str:
    """`new`, `known flaky on main`, `already broken on main`, `unknown`: a class as a reader says it."""
    if history.klass == "flaky":
        return f"known flaky on {branch}"
    if history.klass == "broken":
        return f"already broken on {branch}"
    return history.klass
