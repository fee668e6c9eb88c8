"""Collect the failed and flaky tests of a finished run, page by page, with one small bounded pool."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar

from gate.errors import UnusableAnswerError
from gate.model import Page, TestResult

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

# A test by name: its spec, title and status (a page's content is the multiset of these).
_NAME = attrgetter("spec", "title", "status")
_IDENTITY = attrgetter("test_id", "spec", "title", "status")

Item = TypeVar("Item")
Result = TypeVar("Result")

PAGE_SIZE = 100
# 2,000 pages of 100 specs: far beyond any real run, and a bound on an answer that pages forever.
MAX_PAGES = 2_000
# Requests in flight at once: enough to hide latency, few enough to stay polite (429s are retried, and
# requests' connection pool keeps 10 connections to a host).
WORKERS = 8


class _Pages:
    """The tests of one status, taken page by page (pages are not kept once read).

    A page that repeats an earlier one makes the answer unusable: a server that repeats pages could list
    a quarantined test several times in place of tests it leaves out. Repeats are told by:
    - a spec id (the API's own, never a fallback `#page/index`) on an earlier page, or twice on one page:
      a spec is one entry on one page;
    - the same tests as an earlier page, in any order, told by (spec file, title, status) alone, since a
      hostile server can vary every id. Names alone cannot refuse a single test: one title may appear
      twice in a spec (parametrized tests) and one file in several specs (Playwright projects), so only a
      whole page seen before is the signal;
    - a page whose every test, each with its `test_id`, was taken before with that id, file, title and
      status: a part of an earlier page served again. A test id alone is not enough, as a real run may
      give the same one to a test in different specs.
    """

    def __init__(self, status: str | None) -> None:
        self.status = status  # None: the tests of every status, as an unfiltered listing holds them
        self.tests: list[TestResult] = []
        self.seen: set[str] = set()
        self.contents: set[int] = set()
        # The tests taken, each by the hash of its id, spec, title and status (a page whose every test
        # has an id and was taken already is a repeat; a chance collision only refuses, never passes).
        self.identified: set[int] = set()

    def _refuse(self, page: Page, why: str) -> UnusableAnswerError:
        return UnusableAnswerError(
            f"page {page.page_number} of the {self.status + ' ' if self.status else ''}tests {why}; "
            "the answer's pagination cannot be trusted"
        )

    def take(self, page: Page) -> None:
        """Keep the page's tests of this status, or refuse the page as a repeat."""
        real_ids = [spec_id for spec_id in page.spec_ids if not spec_id.startswith("#")]
        repeated = self.seen.intersection(real_ids)
        if repeated:
            raise self._refuse(page, f"repeats specs of an earlier page ({len(repeated)} of them)")
        if len(set(real_ids)) != len(real_ids):
            raise self._refuse(page, "lists one spec twice")
        content = _content(page.tests)
        if page.tests and content in self.contents:
            raise self._refuse(page, "repeats the tests of an earlier page")
        identified = set(map(hash, map(_IDENTITY, page.tests)))
        every_test_has_an_id = all(test.test_id is not None for test in page.tests)
        if page.tests and every_test_has_an_id and self.identified.issuperset(identified):
            raise self._refuse(page, "repeats tests of earlier pages")
        self.seen.update(real_ids)
        self.contents.add(content)
        self.identified |= identified
        # Every test of the page counts, whatever its status: a page filtered by one status may show tests
        # of others (their specs match the filter), and a test the gate holds is never thrown away.
        self.tests.extend(page.tests)


def _content(tests: Sequence[TestResult]) -> int:
    """A fingerprint of a page's tests by name, in any order: equal for pages listing the same tests.

    The sum of the tests' hashes (64 bits, and their number): two different pages alike by chance would
    only be refused as a repeat (no verdict), never let a run pass.
    """
    return hash((len(tests), sum(map(hash, map(_NAME, tests))) & 0xFFFFFFFFFFFFFFFF))


def collect(
    fetch_page: Callable[[str, int], Page],
    statuses: Sequence[str],
    *,
    max_pages: int = MAX_PAGES,
    workers: int = WORKERS,
) -> dict[str, list[TestResult]]:
    """Every test of each status: the first pages together, then all remaining pages, in page order.

    The pool is started only when there is more than one page to fetch at once: a small run (one page
    of one status) costs no threads at all.
    """
    collected = {status: _Pages(status) for status in statuses}
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
    return {status: pages.tests for status, pages in collected.items()}


def each(fetch: Callable[[Item], Result], items: Sequence[Item], *, workers: int = WORKERS) -> list[Result]:
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
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only when pages come in parallel

    return ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pages")


def _take_next(window: deque[tuple[str, Future[Page]]], collected: dict[str, _Pages]) -> None:
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
        from concurrent.futures import FIRST_COMPLETED, wait  # noqa: PLC0415

        wait([future for _status, future in window if not future.done()], return_when=FIRST_COMPLETED)
    status, future = window.popleft()
    collected[status].take(future.result())


def listing(pages: Iterable[Page]) -> list[TestResult]:
    """Every test of the pages of one unfiltered listing (a saved answer's pages), refusing repeats as
    `collect` does: one listing for `evaluate(..., tests_seen=[...])`."""
    taken = _Pages(None)
    for page in pages:
        taken.take(page)
    return taken.tests
