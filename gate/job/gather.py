"""Gather: the finished run's failed and flaky tests, page by page through one small bounded pool, the
baseline run's failed tests, and the result histories of the failed (then flaky) tests when the policy in
force asks for them."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from itertools import chain
from operator import attrgetter
from typing import TypeVar, cast

from gate.answers import refused
from gate.bounded import (
    HISTORY_ENTRY_BYTES,
    MAX_KEPT_HISTORIES,
    MAX_KEPT_TESTS,
    TEST_BYTES,
    Kept,
    OverLimit,
    shown_size,
)
from gate.client import PlaydashClient
from gate.config.types import History
from gate.dates import parse_timestamp, timestamp_text
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from gate.evaluate import BaselineRun, Listed, listed_tests
from gate.flight import DEFAULT_IN_FLIGHT
from gate.history import NO_ANCHOR, HistoryEntry, Lookups, parse_history
from gate.ids import is_id
from gate.job.events import BaselineFound, Listener, Noted
from gate.job.locate import find_baseline
from gate.job.release import passed_for_release
from gate.listing import Listing
from gate.model import Page, Run, TestResult, parse_page
from gate.policy import InForce

_SPEC, _TITLE = attrgetter("spec"), attrgetter("title")

Item = TypeVar("Item")
Result = TypeVar("Result")

PAGE_SIZE = 100
# 2,000 pages of 100 specs: far beyond any real run, and a bound on an answer that pages forever.
MAX_PAGES = 2_000


@dataclass(frozen=True)
class Gathered:
    """The listings of the run's tests (one per status asked for, each holding every test of its pages,
    whatever its status), the baseline run when the policy has one, and the result histories looked up."""

    listings: tuple[tuple[TestResult, ...], ...]
    baseline: BaselineRun | None = None
    lookups: Lookups | None = None
    # The tests of the passed pages that quarantine entries in force match (None: not listed; see `release`).
    passed: tuple[TestResult, ...] | None = None


# The statuses whose tests the reports name (and the rerun list holds): what fails a run, and the flaky.
LISTED_STATUSES = ("failed", "flaky", "timed_out", "interrupted")


def statuses_to_list(run: Run, first_page: Sequence[TestResult]) -> list[str]:
    """The statuses to list: those the run has by its statistics or by the tests its answer lists (a
    `failed` run with no failed test counted is looked at anyway).

    They are asked for even when the first page seems to list them all: a view filtered by status is
    another listing of the run, and every listing the gate holds counts (a server that contradicts
    itself between two views is judged by the larger count).
    """
    return [
        status
        for status in LISTED_STATUSES
        if run.count(status)
        or (status == "failed" and run.status == "failed")
        or any(test.status == status for test in first_page)
    ]


def tests_of(
    client: PlaydashClient,
    project_id: str,
    run_id: str,
    statuses: list[str],
    kept: Kept,
    *,
    spec_ids: set[str] | None = None,  # noqa: PT028 - no test: the tests of a run
    keep: Callable[[TestResult], bool] | None = None,  # noqa: PT028
) -> dict[str, list[TestResult]]:
    """The pages of each status of a run (every test on them), through the bounded pool (`every_page`); the
    API's spec ids of the pages added to `spec_ids` when given.

    Each page is parsed as it is read, and what it keeps is counted in `kept`: however many pages a
    server sends, the tests the gate holds stay within its limit (`MAX_KEPT_TESTS`); with `keep`, only the tests
    it keeps are (and counted).
    """

    def fetch(status: str, number: int) -> Page:
        def convert(data: object) -> Page:
            page = parse_page(data, number)
            if keep is not None:
                page = replace(page, tests=tuple(filter(keep, page.tests)))
            try:
                kept.charge(len(page.tests), TEST_BYTES, _texts(page.tests))
            except OverLimit as exc:
                raise UnusableAnswerError(refused(f"the {status} tests of the run", exc)) from None
            return page

        return cast(
            Page, client.get_run(project_id, run_id, status=status, page=number, page_size=PAGE_SIZE, convert=convert)
        )

    return every_page(fetch, statuses, spec_ids=spec_ids, workers=workers_for(client))


def workers_for(client: PlaydashClient) -> int:
    """The threads that fetch for one run: one more than the requests the gate lets be in flight, so that while
    one thread decodes an answer its place is taken by another request (the bound itself is the client's)."""
    return client.in_flight.limit + 1


def _texts(tests: Sequence[TestResult]) -> Iterator[str]:
    """The texts a listing keeps of its tests, their ids counted in TEST_BYTES (C iterators: a page of a
    thousand tests is counted in about a millisecond)."""
    return chain(map(_SPEC, tests), map(_TITLE, tests))


def _why(error: Exception) -> str:
    """Why a lookup failed, in a few words of the gate's own (the server's text stays out of it)."""
    if isinstance(error, SetupError):
        status = error.message.split(":", 1)[0]
        return f"the lookup was refused ({status})" if status.startswith("HTTP ") else "the lookup was refused"
    if isinstance(error, ApiUnavailableError):
        return "the lookup failed after its retries"
    return "the answer could not be used"


class HistoryLookup:
    """Looks up the result histories of a run's tests, each test id at most once per gate (fail fast may
    ask for the same failed tests at several polls; a test's past before the run's creation does not change)."""

    def __init__(self, client: PlaydashClient, project_id: str, run_id: str):
        self.client, self.project_id, self.run_id = client, project_id, run_id
        self.found: dict[str, tuple[HistoryEntry, ...]] = {}
        self.failed: dict[str, str] = {}
        # The histories kept, however many entries each answer lists.
        self.kept = Kept(MAX_KEPT_HISTORIES, "result histories")
        # What was told already: fail fast may look up at several polls, and a note is worth telling once.
        self.told: set[str] = set()

    def __call__(
        self,
        run: Run,
        in_force: InForce,
        tests: Listed,
        listener: Listener,
        spec_ids: Iterable[str] = (),
        *,
        then: Sequence[TestResult] = (),
    ) -> Lookups | None:
        """The histories of the failed tests listed, then the flaky ones (quarantined ones not looked up), then
        `then` (passed tests a quarantine entry matches), at most `max_lookups`, through the bounded pool; None
        when no history section is in force. `spec_ids` are the spec ids of the run's listings (see
        `Lookups.spec_ids`).

        The window ends at the run's creation: a run without a usable `created_at` has no history, and
        nothing is asked for (a window ending "now" would hold the run itself, and runs after it).
        """
        section = in_force.history
        if section is None:
            return None
        ids = list(dict.fromkeys((*candidates(tests), *(test.test_id for test in then if test.test_id is not None))))
        anchor = parse_timestamp(run.created_at)
        if anchor is None:
            self._tell(
                [f"history is not looked up: {NO_ANCHOR}; the failed tests are unknown, and none is forgiven"], listener
            )
            return Lookups(None, self.run_id, {}, dict.fromkeys(ids, NO_ANCHOR), run.commit_id, run.ci_build_id)
        wanted = ids[: section.max_lookups]
        missing = [test_id for test_id in wanted if test_id not in self.found and test_id not in self.failed]
        days, at = section.days, timestamp_text(anchor)

        def look_up(test_id: str) -> tuple[str, tuple[HistoryEntry, ...] | str]:
            try:
                entries = self.client.result_histories(
                    self.project_id, self.run_id, test_id, days=days, anchor=at, convert=self._kept
                )
                return test_id, cast(tuple[HistoryEntry, ...], entries)
            except (SetupError, ApiUnavailableError, UnusableAnswerError) as error:
                return test_id, _why(error)
            except OverLimit:
                return test_id, f"the gate keeps no more result histories ({shown_size(MAX_KEPT_HISTORIES)} of them)"

        for test_id, got in each(look_up, missing, workers=workers_for(self.client)):
            if isinstance(got, str):
                self.failed[test_id] = got
            else:
                self.found[test_id] = got
        chosen = set(wanted)
        lookups = Lookups(
            anchor,
            self.run_id,
            {key: value for key, value in self.found.items() if key in chosen},
            {key: value for key, value in self.failed.items() if key in chosen},
            run.commit_id,
            run.ci_build_id,
            frozenset(spec_ids),
        )
        skipped = sum(1 for test_id in candidates(tests) if test_id not in chosen)  # failed or flaky, not passed
        self._tell(_notes(lookups, section, skipped), listener)
        return lookups

    def _tell(self, notes: list[str], listener: Listener) -> None:
        for note in notes:
            if note not in self.told:
                self.told.add(note)
                listener(Noted(note))

    def _kept(self, data: object) -> tuple[HistoryEntry, ...]:
        """An answer's entries, counted among the histories kept (OverLimit past their limit)."""
        entries = parse_history(data)
        texts = (
            text
            for entry in entries
            for text in (entry.branch, entry.run_id, entry.commit_id or "", entry.ci_build_id or "")
        )
        self.kept.charge(len(entries), HISTORY_ENTRY_BYTES, texts)
        return entries


def candidates(tests: Listed) -> list[str]:
    """The test ids whose history decides: failed tests first, then flaky ones; not quarantined; each once.

    At most `max_lookups` of them are looked up.
    """
    return list(dict.fromkeys(test.test_id for test in (*tests.failed, *tests.flaky) if test.test_id is not None))


def _notes(lookups: Lookups, section: History, skipped: int) -> list[str]:
    """What the reader should know of the lookups: those that failed, and the failed or flaky tests not looked up."""
    notes = []
    if lookups.failed:
        reasons = sorted(set(lookups.failed.values()))
        count = len(lookups.failed)
        notes.append(
            f"the history of {count} test{'s' if count != 1 else ''} on {section.branch} could not be looked up "
            f"({'; '.join(reasons[:3])}): unknown, and never forgiven"
        )
    if skipped:
        notes.append(
            f"{skipped} failed or flaky tests were not looked up (history.max_lookups is "
            f"{section.max_lookups}): unknown, and never forgiven"
        )
    return notes


def gather(
    client: PlaydashClient,
    *,
    project_id: str,
    run_id: str,
    run: Run,
    first_page: Sequence[TestResult],
    in_force: InForce,
    listener: Listener,
    history: HistoryLookup,
    first_spec_ids: Iterable[str] = (),
) -> Gathered:
    """The failed and flaky tests of the finished run, the baseline's failed tests and the tests' histories
    when the policy in force asks for them (`first_spec_ids`: the spec ids of the run's own first page)."""
    # The run's tests and the baseline's failed ones are held together: one count of what they keep.
    kept = Kept(MAX_KEPT_TESTS, "the tests of the run and its baseline")
    spec_ids = set(filter(is_id, first_spec_ids))  # a spec without an id of its own has a `#page/index`
    listed = tests_of(client, project_id, run_id, statuses_to_list(run, first_page), kept, spec_ids=spec_ids)
    baseline = None
    if in_force.baseline is not None:
        branch = in_force.baseline.branch
        baseline_id = find_baseline(lambda page: client.list_runs(project_id, page), branch, run_id)
        pages = tests_of(client, project_id, baseline_id, ["failed"], kept)["failed"] if baseline_id else []
        failed_there = [test for test in pages if test.status == "failed"]
        if baseline_id:
            listener(BaselineFound(baseline_id, branch, len(failed_there)))
        baseline = BaselineRun(baseline_id, frozenset((test.spec, test.title) for test in failed_there))
    listings = tuple(tuple(tests) for tests in listed.values())
    lookups = passed = None
    if in_force.history is not None:
        tests = listed_tests((first_page, *listings), in_force)
        passed = passed_for_release(
            in_force, tests, listener, lambda keep: tests_of(client, project_id, run_id, ["passed"], kept, keep=keep)
        )
        lookups = history(run, in_force, tests, listener, spec_ids, then=passed or ())
    return Gathered(listings, baseline, lookups, passed)


def every_page(
    fetch_page: Callable[[str, int], Page],
    statuses: Sequence[str],
    *,
    max_pages: int = MAX_PAGES,
    workers: int = DEFAULT_IN_FLIGHT,
    spec_ids: set[str] | None = None,
) -> dict[str, list[TestResult]]:
    """Every test of each status: the first pages together, then all remaining pages, in page order; the
    API's spec ids of every page taken added to `spec_ids` when given (specs without tests too).

    The pool is started only when there is more than one page to fetch at once: a small run (one page
    of one status) costs no threads at all.
    """
    collected = {status: Listing(status) for status in statuses}
    if len(statuses) == 1:
        firsts = [fetch_page(statuses[0], 1)]
    elif not statuses:
        return {}
    else:
        firsts = []
    pool = None
    try:
        if not firsts:
            pool = _pool(workers)
            firsts = list(pool.map(lambda status: fetch_page(status, 1), statuses))
        for status, first in zip(statuses, firsts, strict=True):
            if first.total_pages > max_pages:
                raise UnusableAnswerError(
                    f"the API says the {status} tests fill {first.total_pages:,} pages, more than the gate reads "
                    f"({max_pages:,}); the answer's pagination cannot be trusted"
                )
            collected[status].take(first)
        rest = [
            (status, number)
            for status, first in zip(statuses, firsts, strict=True)
            for number in range(2, first.total_pages + 1)
        ]
        if rest and pool is None:
            pool = _pool(workers)
        # A sliding window of requests in flight: pages are taken in order as they come, and at most
        # twice the pool's size wait to be taken, so memory stays bounded however many pages there are.
        window: deque[tuple[str, Future[Page]]] = deque()
        for status, number in rest:
            assert pool is not None
            window.append((status, pool.submit(fetch_page, status, number)))
            if len(window) >= 2 * workers:
                _take_next(window, collected)
        while window:
            _take_next(window, collected)
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    if spec_ids is not None:
        spec_ids.update(*(pages.seen for pages in collected.values()))
    return {status: pages.tests for status, pages in collected.items()}


def each(fetch: Callable[[Item], Result], items: Sequence[Item], *, workers: int) -> list[Result]:
    """`fetch` of every item, in order, at most `workers` at once through the same kind of pool as the pages.

    `fetch` is expected to catch what it can survive; any other error ends the whole at once.
    """
    if len(items) <= 1:
        return [fetch(item) for item in items]
    pool = _pool(workers)
    try:
        return list(pool.map(fetch, items))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pages")


def _take_next(window: deque[tuple[str, Future[Page]]], collected: dict[str, Listing]) -> None:
    """Take the oldest page once it has come; but a page that failed anywhere in the window ends it at once.

    Pages are taken in order, so a page that stalls would otherwise hide, until it came or timed out, an
    unusable answer (or an unavailable API) that a later page already gave.
    """
    oldest = window[0][1]
    while True:
        for _status, future in window:
            if future.done() and future.exception() is not None:
                future.result()
        if oldest.done():
            break
        wait([future for _status, future in window if not future.done()], return_when=FIRST_COMPLETED)
    status, future = window.popleft()
    collected[status].take(future.result())
