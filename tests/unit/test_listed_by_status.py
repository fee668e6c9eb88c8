"""`listed_by_status`, which keys only the tests two listings could share, agrees test for test with the
plain version that keyed and counted every test (kept here as the reference), on listings that contradict,
repeat and overlap each other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import attrgetter

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate.evaluate import listed_by_status
from gate.model import TestResult
from tests.properties import examples

_KEY = attrgetter("test_id", "spec", "title", "status")


def reference(*listings: Iterable[TestResult]) -> dict[str, tuple[TestResult, ...]]:
    """`listed_by_status` as it was before issue 25: a key per test, a Counter, a set and two dicts over every
    listing whole."""
    most: dict[tuple[str | None, str, str, str], int] = {}
    kept: dict[str, list[TestResult]] = {}
    for listing in listings:
        tests = list(listing)
        keys = list(map(_KEY, tests))
        here = Counter(keys)
        if len(here) == len(keys):
            new = here.keys() - most.keys()
            for test in (test for test, key in zip(tests, keys, strict=True) if key in new):
                kept.setdefault(test.status, []).append(test)
            most.update(dict.fromkeys(new, 1))
            continue
        seen: dict[tuple[str | None, str, str, str], int] = {}
        for test, key in zip(tests, keys, strict=True):
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > most.get(key, 0):
                kept.setdefault(test.status, []).append(test)
        for key, count in here.items():
            most[key] = max(count, most.get(key, 0))
    return {status: tuple(tests) for status, tests in kept.items()}


# Few names, so that listings share, repeat and contradict each other (one test under two statuses, one name
# with and without an id, one id on two names); two objects of each key (the same test in two answers), each
# of which may be drawn again (the same answer's test, seen at the poll and again when gathering).
_POOL = [
    TestResult(spec, title, status, duration, test_id)
    for spec in ("a.spec.ts", "b.spec.ts")
    for title in ("adds", "pays", "logs in")
    for status in ("failed", "flaky", "passed", "timed_out")
    for test_id in (None, "t1", "t2")
    for duration in (None, 1.5)
]
_TESTS = st.sampled_from(_POOL)


def _same(listed: dict[str, tuple[TestResult, ...]], expected: dict[str, tuple[TestResult, ...]]) -> None:
    """The same statuses in the same order, each holding the very same test objects in the same order (the
    reports tell tests apart by identity, as forgiven failures are)."""
    assert list(listed) == list(expected)
    for status, tests in expected.items():
        assert [id(test) for test in listed[status]] == [id(test) for test in tests]


A = TestResult("a.spec.ts", "adds", "failed", 1.0, "t1")
B = TestResult("a.spec.ts", "adds", "failed", 2.5, "t1")  # A by key, another result object
C = TestResult("b.spec.ts", "pays", "flaky", None)


@settings(max_examples=examples(100))
@given(st.lists(st.lists(_TESTS, max_size=12), max_size=5))
@example([[A, A, C], [A], [B, B, B, C]])  # the most one listing shows, by key, whichever object
@example([[], [A, B], [C, A], [C]])  # a status first shown by a smaller listing than its largest
@example([[A, C], [C, C], [A, A]])  # equal and larger listings of one status after a first page
def test_the_lean_listing_agrees_with_the_plain_one(listings: list[list[TestResult]]) -> None:
    _same(listed_by_status(*listings), reference(*listings))


@settings(max_examples=examples(30))
@given(st.lists(st.lists(_TESTS, max_size=8), min_size=1, max_size=4))
def test_listings_given_as_iterators_are_read_once_alike(listings: list[list[TestResult]]) -> None:
    _same(listed_by_status(*(iter(listing) for listing in listings)), reference(*listings))
