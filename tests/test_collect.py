"""Collecting the failed and flaky tests: every page, in order, bounded, never repeated."""

from __future__ import annotations

import pytest

from gate.collect import collect_tests
from gate.errors import UnusableAnswerError
from gate.model import Page, TestResult


def pages(total: int, repeat: bool = False):
    requested: list[int] = []

    def fetch(number: int) -> Page:
        requested.append(number)
        spec = "s1" if repeat else f"s{number}"
        tests = (
            TestResult(f"{spec}.spec.ts", f"t{number}", "failed", None),
            TestResult(f"{spec}.spec.ts", f"p{number}", "passed", None),
        )
        return Page(tests, (spec,), number, total)

    return fetch, requested


def test_every_page_is_read_in_order_and_other_statuses_dropped() -> None:
    fetch, requested = pages(5)
    tests = collect_tests(fetch, "failed")
    assert [t.title for t in tests] == ["t1", "t2", "t3", "t4", "t5"]
    assert sorted(requested) == [1, 2, 3, 4, 5]


def test_repeated_pages_are_unusable() -> None:
    fetch, _ = pages(3, repeat=True)
    with pytest.raises(UnusableAnswerError, match="repeats specs of an earlier page"):
        collect_tests(fetch, "failed")


def test_endless_pagination_is_bounded() -> None:
    fetch, requested = pages(10**9)
    with pytest.raises(UnusableAnswerError, match="more than the gate reads"):
        collect_tests(fetch, "failed", max_pages=50)
    assert requested == [1]


def test_a_failing_page_fails_the_collection() -> None:
    def fetch(number: int) -> Page:
        if number == 3:
            raise UnusableAnswerError("page 3 is garbage")
        return Page((), (f"s{number}",), number, 4)

    with pytest.raises(UnusableAnswerError, match="page 3 is garbage"):
        collect_tests(fetch, "failed")
