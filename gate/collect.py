"""Collect the failed and flaky tests of a finished run, page by page, with one small bounded pool."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from gate.errors import UnusableAnswerError
from gate.model import Page, TestResult

PAGE_SIZE = 100
# 2,000 pages of 100 specs: far beyond any real run, and a bound on an answer that pages forever.
MAX_PAGES = 2_000
# Requests in flight at once: enough to hide latency, few enough to stay polite (429s are retried, and
# requests' connection pool keeps 10 connections to a host).
WORKERS = 8


class _Pages:
    """The tests of one status, taken page by page (pages are not kept once read)."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.tests: list[TestResult] = []
        self.seen: set[str] = set()

    def take(self, page: Page) -> None:
        repeated = self.seen.intersection(page.spec_ids)
        if repeated:
            raise UnusableAnswerError(
                f"page {page.page_number} of the {self.status} tests repeats specs of an earlier page "
                f"({len(repeated)} of them); the answer's pagination cannot be trusted"
            )
        self.seen.update(page.spec_ids)
        self.tests.extend(test for test in page.tests if test.status == self.status)


def collect(
    fetch_page: Callable[[str, int], Page],
    statuses: Sequence[str],
    *,
    max_pages: int = MAX_PAGES,
    workers: int = WORKERS,
) -> dict[str, list[TestResult]]:
    """Every test of each status: the first pages together, then all remaining pages, in page order."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pages")
    try:
        firsts = list(pool.map(lambda status: fetch_page(status, 1), statuses))
        collected = {status: _Pages(status) for status in statuses}
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
        # A sliding window of requests in flight: pages are taken in order as they come, and at most
        # twice the pool's size wait to be taken, so memory stays bounded however many pages there are.
        window: deque[tuple[str, Future[Page]]] = deque()
        for status, number in rest:
            window.append((status, pool.submit(fetch_page, status, number)))
            if len(window) >= 2 * workers:
                done_status, future = window.popleft()
                collected[done_status].take(future.result())
        while window:
            done_status, future = window.popleft()
            collected[done_status].take(future.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return {status: pages.tests for status, pages in collected.items()}


def collect_tests(
    fetch_page: Callable[[int], Page], status: str, *, max_pages: int = MAX_PAGES, workers: int = WORKERS
) -> list[TestResult]:
    """Every test of one status."""
    return collect(lambda _status, number: fetch_page(number), [status], max_pages=max_pages, workers=workers)[status]
