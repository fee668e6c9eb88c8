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

from gate.config.types import History
from gate.dates import parse_timestamp
from gate.errors import UnusableAnswerError
from gate.ids import fold, is_id
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


# The longest commit or CI build id compared (the API's are 40 and a few dozen characters): cut alike on both
# sides, two ids that differ further on are taken for one, which only leaves out more.
MAX_BUILD_ID = 200


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past result of a test: what decides its class (the rest of the API's entry is not kept).

    The commit and CI build of its run are kept as `build_key` gives them (None: not given), to tell a
    past run of the judged run's own commit or build."""

    status: str
    started_at: datetime.datetime
    branch: str
    run_id: str
    commit_id: str | None = None
    ci_build_id: str | None = None


def build_key(value: object) -> str | None:
    """A commit or CI build id as history compares them: folded, trimmed and cut; None when not a string of any."""
    if not isinstance(value, str) or not value.strip():
        return None
    return fold(clean_text(value.strip()[:MAX_BUILD_ID]))


@dataclass(frozen=True, slots=True)
class OwnRun:
    """The judged run as its history names it (ids folded; None: not known): its own entries are left out,
    and a past run of its commit or CI build is no evidence, since a re-run of one commit is no second
    opinion on it. A run without a commit or build id cannot be told by it."""

    run_id: str
    commit_id: str | None = None
    ci_build_id: str | None = None

    @classmethod
    def of(cls, run_id: str, commit_id: object = None, ci_build_id: object = None) -> OwnRun:
        """The judged run by its id, and its commit and CI build as the Get run answer gives them."""
        return cls(fold(run_id), build_key(commit_id), build_key(ci_build_id))

    def shares_a_build(self, entry: HistoryEntry) -> bool:
        """Whether the entry's run is of this run's own commit or CI build."""
        return (self.commit_id is not None and entry.commit_id == self.commit_id) or (
            self.ci_build_id is not None and entry.ci_build_id == self.ci_build_id
        )


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
    # The judged run's commit and CI build as its answer gives them: past runs of either are no evidence.
    commit_id: str | None = None
    ci_build_id: str | None = None
    # Every spec id the run's listings gave, specs without tests too: a test id that is also a spec's names
    # two things (the tests' own spec ids are counted from the tests).
    spec_ids: frozenset[str] = frozenset()

    @property
    def own(self) -> OwnRun:
        """The judged run as its history names it."""
        return OwnRun.of(self.run_id, self.commit_id, self.ci_build_id)


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
    it is skipped, never guessed at. The run's `commit_id` and `ci_build_id` are kept when given.
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
        kept.append(
            HistoryEntry(
                normalise_name(clean_text(status)[:100]),
                started,
                clean_text(branch),
                run_id,
                build_key(run.get("commit_id")),
                build_key(run.get("ci_build_id")),
            )
        )
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class PastRun:
    """One past run of a test, from all its entries: its result (None when they disagree, or when it is of the
    judged run's own commit or build: `own_build`) and the span of their starts (a run listed at several
    times has no one place among the others)."""

    result: str | None
    newest: datetime.datetime
    oldest: datetime.datetime
    own_build: bool = False


def past_runs(
    entries: Iterable[HistoryEntry], section: History, anchor: datetime.datetime, own: OwnRun
) -> list[PastRun]:
    """The past runs that count, newest first.

    A past run is its `run_id`, case folded: all its entries are one run, however many there are and
    whatever their starts (the judged run's own are left out). It counts when one of its entries is a
    result (not `skipped` nor `interrupted`) on the branch in the window: from `days` before the anchor (the
    judged run's creation) to just before it, so that no entry at or after the anchor is ever evidence. Its
    entries disagree when they do not all give one status on one branch, wherever they are (`failed`,
    `passed`, `failed`; one on another branch), or when some are in the window and some outside it (the
    run may not be in it at all): such a run has no result. Nor has a run any of whose entries names the
    judged run's commit or CI build: a re-run of the same commit is no evidence either way. Its place among
    the others is anywhere from its oldest start to its newest (see `classify`).
    """
    since = anchor - datetime.timedelta(days=section.days)
    by_run: dict[str, list[HistoryEntry]] = {}
    for entry in entries:
        run_id = fold(entry.run_id)
        if run_id != own.run_id:
            by_run.setdefault(run_id, []).append(entry)
    runs: list[tuple[str, PastRun]] = []
    for run_id, listed in by_run.items():
        if any(
            entry.status in RESULT_STATUSES and since <= entry.started_at < anchor
            for entry in listed
            if fnmatchcase(entry.branch, section.branch)
        ):
            said = {(entry.status, entry.branch) for entry in listed}
            starts = [entry.started_at for entry in listed]
            # A run with entries on both sides of an end of the window may not be in it at all.
            straddles = min(starts) < since or max(starts) >= anchor
            own_build = any(map(own.shares_a_build, listed))
            result = next(iter(said))[0] if len(said) == 1 and not straddles and not own_build else None
            runs.append((run_id, PastRun(result, max(starts), min(starts), own_build)))
    runs.sort(key=lambda item: (item[1].newest, item[0]), reverse=True)
    return [run for _run_id, run in runs]


def _reading(runs: Sequence[PastRun], disagreeing_as: str | None, broken_late: bool) -> list[str]:
    """The results newest first under one reading of what is uncertain: each run whose entries disagree
    read as `disagreeing_as` (None: left out), and each run placed at its newest start when its result is
    a failure that makes a test broken and `broken_late` (else at its oldest), and the other way round for
    the other results; among runs at one moment, the later ones are those so placed."""
    placed: list[tuple[datetime.datetime, bool, str]] = []
    for run in runs:
        result = run.result if run.result is not None else disagreeing_as
        if result is None:
            continue
        late = (result in BROKEN_FAILURES) == broken_late
        placed.append((run.newest if late else run.oldest, late, result))
    placed.sort(key=lambda item: item[:2], reverse=True)
    return [result for _when, _late, result in placed]


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


# A past run of the judged run's own commit or CI build (a re-run of the job), as a reason says it.
OWN_BUILD = "of this run's own commit or CI build (a re-run is no second opinion)"


def classify(runs: Sequence[PastRun], min_runs: int) -> TestHistory:
    """The class of a test from its past runs, newest first, decided in the issue's order.

    A run whose entries disagree, or of the judged run's own commit or build, is no evidence: it adds nothing
    toward `min_runs`, and a class stands only when it would stand whatever that run was (any result, or not
    there at all). A run listed at several
    times has no one place, nor have runs that started at one moment, and a class stands only when it would
    stand wherever they were. Otherwise the test is unknown. So entries repeated, reordered or contradicted
    never make a class easier to reach. Two readings bound all others, since a pass (or a flaky result)
    placed later can only undo `broken` and a failure placed later only make it: the least broken
    (disagreeing runs read as passed, passes late, failures early) and the most (read as failed, failures
    late); with the runs that disagree left out, what can be flaky or new is settled.
    """
    shown = _reading(runs, None, broken_late=False)
    own_builds = sum(1 for run in runs if run.own_build)
    disagreeing = sum(1 for run in runs if run.result is None) - own_builds
    spread = sum(1 for run in runs if run.result is not None and run.newest != run.oldest)
    failures = sum(1 for status in shown if status in FAILURES)
    last = tuple(shown[:MAX_LAST])
    klass = _class_of(shown, min_runs)
    if klass != "unknown":
        readings = (
            _reading(runs, PASSED, broken_late=False),
            _reading(runs, FAILED, broken_late=True),
            _reading(runs, None, broken_late=True),
        )
        if all(_class_of(reading, min_runs) == klass for reading in readings):
            return TestHistory(klass, len(shown), failures, last)
        causes = [f"{plural(disagreeing, 'past run')} listed with entries that disagree"] * bool(disagreeing)
        causes += [f"{plural(own_builds, 'past run')} {OWN_BUILD}"] * bool(own_builds)
        causes += [f"{plural(spread, 'past run')} listed at several times"] * bool(spread)
        causes = causes or ["past runs that started at the same moment"]
        reason = " and ".join(causes) + ", and its class depends on them"
        return TestHistory("unknown", len(shown), failures, last, reason)
    if len(shown) < min_runs:
        why = f"{plural(len(shown), 'run')} in the window, fewer than min_runs ({min_runs})"
        if disagreeing:
            why += f"; {disagreeing:,} more listed with entries that disagree, not counted"
        if own_builds:
            why += f"; {own_builds:,} more {OWN_BUILD}, not counted"
        return TestHistory("unknown", len(shown), failures, last, why)
    return TestHistory("unknown", len(shown), failures, last, "no pass among its results: neither flaky nor broken")


SHARED_ID = "its id names more than one thing in the run (tests, or a test and a spec), so the history may be another's"
NO_ANCHOR = "the run has no usable creation date (`created_at`) to end the window at"


def histories(
    lookups: Lookups, section: History, tests: Iterable[TestResult] = (), views: Iterable[TestResult] = ()
) -> dict[str, TestHistory]:
    """Each test id looked up, classed; a lookup that failed is unknown with its reason.

    An id that names more than one thing in the run is unknown: two of `tests` (every test listed, each
    once, of any status), or a test and a spec, the spec of any of `tests` or `views` (the tests of every
    listing as served: a server may give a spec another id in another view) or of `lookups.spec_ids` (specs
    without tests too). Ids are compared case folded (`t1` and `T1` are one id). The API's histories are
    of a test entity, a spec or a test, and its documented examples use one id for both: one test's past
    must never forgive another, nor one history forgive a test listed twice.
    """
    anchor, own = lookups.anchor, lookups.own
    classed = {
        test_id: classify(past_runs(entries, section, anchor, own), section.min_runs)
        if anchor is not None
        else TestHistory("unknown", reason=NO_ANCHOR)
        for test_id, entries in lookups.found.items()
    }
    classed.update({test_id: TestHistory("unknown", reason=why) for test_id, why in lookups.failed.items()})
    looked_up = {fold(test_id) for test_id in classed}
    tests_by_id: Counter[str] = Counter()
    spec_ids = set(lookups.spec_ids)
    for test in tests:
        if test.test_id is not None and (key := fold(test.test_id)) in looked_up:
            tests_by_id[key] += 1
        spec_ids.add(test.spec_id or "")
    # Each spec's id is one string shared by its tests: a set of them is small, and folded once.
    spec_ids.update(test.spec_id or "" for test in views)
    named = {fold(spec_id) for spec_id in spec_ids} | {key for key, count in tests_by_id.items() if count > 1}
    shared = [test_id for test_id in classed if fold(test_id) in named]
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


def own_build_notes(lookups: Lookups | None, forgiven: int) -> tuple[str, ...]:
    """Why history may count re-runs of the judged run as evidence, when it forgave failures: the run has no
    commit or CI build id to tell past runs of its own by (said only when it matters)."""
    if lookups is None or not forgiven:
        return ()
    own = lookups.own
    named = (("commit_id", own.commit_id), ("ci_build_id", own.ci_build_id))
    missing = [f"`{name}`" for name, value in named if not value]
    if not missing:
        return ()
    return (
        f"the run has no {' nor '.join(missing)}: past runs of its own commit or CI build (a re-run of the job) "
        f"could not be left out of the history that forgave {plural(forgiven, 'failure')}",
    )
