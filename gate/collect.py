"""Collect the failed or flaky tests of a finished run, page by page, with a small bounded pool."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gate.errors import UnusableAnswerError
from gate.model import Page, TestResult

PAGE_SIZE = 100
# 2,000 pages of 100 specs: far beyond any real run, and a bound on an answer that pages forever.
MAX_PAGES = 2_000
WORKERS = 4


def collect_tests(
    fetch_page: Callable[[int], Page], status: str, *, max_pages: int = MAX_PAGES, workers: int = WORKERS
) -> list[TestResult]:
    """Every test of `status` across all pages: page 1 first, then the rest concurrently, in page order."""
    first = fetch_page(1)
    if first.total_pages > max_pages:
        raise UnusableAnswerError(
            f"the API says the {status} tests fill {first.total_pages:,} pages, more than the gate reads "
            f"({max_pages:,}); the answer's pagination cannot be trusted"
        )
    seen: set[str] = set()
    tests: list[TestResult] = []

    def take(page: Page) -> None:
        """Keep this page's tests of `status`, and only them: pages are not held once read."""
        repeated = seen.intersection(page.spec_ids)
        if repeated:
            raise UnusableAnswerError(
                f"page {page.page_number} of the {status} tests repeats specs of an earlier page "
                f"({len(repeated)} of them); the answer's pagination cannot be trusted"
            )
        seen.update(page.spec_ids)
        tests.extend(test for test in page.tests if test.status == status)

    take(first)
    if first.total_pages > 1:
        pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pages")
        try:
            for page in pool.map(fetch_page, range(2, first.total_pages + 1)):
                take(page)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return tests
