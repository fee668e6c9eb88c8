"""A test's past results on a branch: the result histories answer parsed strictly, and a failed test classed.

Pure functions: the anchor (the run's creation) and the section in force are given, never read here.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from gate.config import History
from gate.dates import parse_timestamp
from gate.errors import UnusableAnswerError
from gate.ids import is_id
from gate.model import TestResult, clean_text, normalise_name
from gate.plural import plural

HistoryClass = Literal["new", "flaky", "broken", "unknown"]
# The order reports list failed tests in: what this change broke first, what was forgiven last.
CLASS_ORDER: tuple[HistoryClass, ...] = ("new", "unknown", "broken", "flaky")
# Entries that are results; `skipped` and `interrupted` ones are not.
PASSED = "passed"
FAILED = "failed"
FAILURES = frozenset({FAILED, "timed_out", "flaky"})
BROKEN_FAILURES = frozenset({FAILED, "timed_out"})
RESULT_STATUSES = FAILURES | {PASSED}
# The statuses a report shows of a test's past, newest first.
MAX_LAST = 10


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past result of a test: what decides its class (the rest of the API's entry is not kept)."""

    status: str
    started_at: datetime.datetime
    branch: str
    run_id: str


@dataclass(frozen=True)
class Lookups:
    """What the history lookups of one run found: entries by test id, and why other tests stay unknown."""

    # The judged run's creation, where the window ends; None when nothing was looked up (no usable
    # `created_at`, a saved answer): then `found` is empty.
    anchor: datetime.datetime | None
    # The judged run's id (the path's): its own entries are left out.
    run_id: str
    found: Mapping[str, tuple[HistoryEntry, ...]]
    failed: Mapping[str, str]


@dataclass(frozen=True)
class TestHistory:
    """A test's class on the branch, from how many past runs (`runs`), failures and the last results."""

    __test__ = False  # not a pytest test class, whatever its name says

    klass: HistoryClass
    runs: int = 0
    failures: int = 0
    last: tuple[str, ...] = ()
    # Why a test is unknown, in a few words (never text from the API).
    reason: str = ""


NOT_LOOKED_UP = TestHistory("unknown", reason="not looked up: more failed and flaky tests than max_lookups")
NO_TEST_ID = TestHistory("unknown", reason="the API gave the test no test_id to look it up by")


def parse_history(data: object) -> tuple[HistoryEntry, ...]:
    """A result histories answer: its usable entries; UnusableAnswerError when it has no list of them.

    An entry without a string `status`, a `started_at` that is a date (see `parse_timestamp`), a usable
    `run_id` (what counts is runs, by their id) and a `run` object with a string `branch` is no evidence:
    it is skipped, never guessed at.
    """
    entries = data.get("result_histories") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise UnusableAnswerError("the result histories answer has no `result_histories` list")
    kept: list[HistoryEntry] = []
    for item in entries:
        if not isinstance(item, Mapping):
            continue
        status, run, run_id = item.get("status"), item.get("run"), item.get("run_id")
        started = parse_timestamp(item.get("started_at"))
        if not isinstance(status, str) or started is None or not isinstance(run, Mapping) or not is_id(run_id):
            continue
        branch = run.get("branch")
        if not isinstance(branch, str):
            continue
        kept.append(HistoryEntry(normalise_name(clean_text(status)[:100]), started, clean_text(branch), run_id))
    return tuple(kept)


def results_on_branch(
    entries: Iterable[HistoryEntry], section: History, anchor: datetime.datetime, judged_run_id: str
) -> list[str | None]:
    """The result of each past run that counts, newest first; None for a run whose entries disagree.

    A past run is its `run_id`: all its entries are one run, however many there are (the judged run's
    own are left out). It counts when one of its entries is a result (not `skipped` nor `interrupted`)
    on the branch in the window: from `days` before the anchor (the judged run's creation) to just
    before it, so that no entry at or after the anchor is ever evidence. Its entries disagree when they
    do not all say the same thing, wherever they are: one status, one branch, one start (`failed`,
    `passed`, `failed`; one result at two times; one inside the window and one after it). Such a run
    stands at its newest start: another entry can only move it later, which never makes a class easier
    to reach (see `classify`).
    """
    since = anchor - datetime.timedelta(days=section.days)
    by_run: dict[str, set[tuple[str, str, datetime.datetime]]] = {}
    for entry in entries:
        if entry.run_id != judged_run_id:
            by_run.setdefault(entry.run_id, set()).add((entry.status, entry.branch, entry.started_at))
    runs: list[tuple[datetime.datetime, str, str | None]] = []
    for run_id, said in by_run.items():
        if any(
            status in RESULT_STATUSES and since <= started < anchor and fnmatchcase(branch, section.branch)
            for status, branch, started in said
        ):
            agreed = next(iter(said))[0] if len(said) == 1 else None
            runs.append((max(started for _status, _branch, started in said), run_id, agreed))
    runs.sort(key=lambda run: run[:2], reverse=True)
    return [result for _started, _run_id, result in runs]


def _class_of(results: Sequence[str], min_runs: int) -> HistoryClass:
    """The class from results that agree, newest first, decided in the issue's order."""
    if len(results) < min_runs:
        return "unknown"
    if all(status in BROKEN_FAILURES for status in results[:min_runs]):
        return "broken"
    failed = any(status in FAILURES for status in results)
    if PASSED in results and failed:
        return "flaky"
    return "unknown" if failed else "new"


def classify(results: Sequence[str | None], min_runs: int) -> TestHistory:
    """The class of a test from its past runs' results, newest first (None: a run whose entries disagree).

    A run whose entries disagree is no evidence: it adds nothing toward `min_runs`, and a class stands
    only when it would stand whatever that run was (any result, or not there at all); otherwise the test
    is unknown. So entries repeated, reordered or contradicted never make a class easier to reach: they
    can only turn a run into one that disagrees, or move such a run later. Reading every such run as
    passed, then as failed, is enough to know: a pass is what can undo `broken`, a failure what can undo
    `new` or turn `flaky` into `broken` (the unit tests try every reading).
    """
    known = [status for status in results if status is not None]
    runs, disagreeing = len(known), len(results) - len(known)
    failures = sum(1 for status in known if status in FAILURES)
    last = tuple(known[:MAX_LAST])
    klass = _class_of(known, min_runs)
    if klass != "unknown":
        readings = ([reading if status is None else status for status in results] for reading in (PASSED, FAILED))
        if not disagreeing or all(_class_of(reading, min_runs) == klass for reading in readings):
            return TestHistory(klass, runs, failures, last)
        why = f"{plural(disagreeing, 'past run')} listed with entries that disagree, and its class depends on them"
        return TestHistory("unknown", runs, failures, last, why)
    if runs < min_runs:
        why = f"{plural(runs, 'run')} in the window, fewer than min_runs ({min_runs})"
        if disagreeing:
            why += f"; {disagreeing:,} more listed with entries that disagree, not counted"
        return TestHistory("unknown", runs, failures, last, why)
    return TestHistory("unknown", runs, failures, last, "no pass among its results: neither flaky nor broken")


SHARED_ID = "its id names more than one thing in the run (tests, or a test and a spec), so the history may be another's"
NO_ANCHOR = "the run has no usable creation date (`created_at`) to end the window at"


def histories(
    lookups: Lookups, section: History, tests: Iterable[TestResult] = (), views: Iterable[TestResult] = ()
) -> dict[str, TestHistory]:
    """Each test id looked up, classed; a lookup that failed is unknown with its reason.

    An id that names more than one thing in the run is unknown: two of `tests` (every test listed, each
    once, of any status), or a test and a spec, the spec of any of `tests` or `views` (the tests of every
    listing as served: a server may give a spec another id in another view). The API's histories are
    of a test entity, a spec or a test, and its documented examples use one id for both: one test's past
    must never forgive another, nor one history forgive a test listed twice. Only the ids looked up are
    counted: a few hundred, whatever the run's size.
    """
    anchor = lookups.anchor
    classed = {
        test_id: classify(results_on_branch(entries, section, anchor, lookups.run_id), section.min_runs)
        if anchor is not None
        else TestHistory("unknown", reason=NO_ANCHOR)
        for test_id, entries in lookups.found.items()
    }
    classed.update({test_id: TestHistory("unknown", reason=why) for test_id, why in lookups.failed.items()})
    tests_by_id: Counter[str] = Counter()
    shared: set[str] = set()
    for test in tests:
        if test.test_id is not None and test.test_id in classed:
            tests_by_id[test.test_id] += 1
        if test.spec_id is not None and test.spec_id in classed:
            shared.add(test.spec_id)
    shared.update(test.spec_id for test in views if test.spec_id is not None and test.spec_id in classed)
    shared.update(test_id for test_id, count in tests_by_id.items() if count > 1)
    classed.update(dict.fromkeys(shared, TestHistory("unknown", reason=SHARED_ID)))
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
