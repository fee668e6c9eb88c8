"""The gather step: which statuses it lists, and every page of each, in order, bounded, never repeated."""

from __future__ import annotations

import pytest

from gate.errors import UnusableAnswerError
from gate.flight import DEFAULT_IN_FLIGHT
from gate.job.gather import MAX_PAGES, every_page, statuses_to_list
from gate.listing import Identities, read_listing
from gate.model import Page, Run, TestResult


def every_test_of(fetch_page, status: str, *, max_pages: int = MAX_PAGES, workers: int = DEFAULT_IN_FLIGHT) -> list:
    """Every test of the pages of one status."""
    return every_page(lambda _status, number: fetch_page(number), [status], max_pages=max_pages, workers=workers)[
        status
    ]


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


def test_every_page_is_read_in_order_and_every_test_on_it_kept() -> None:
    """A page filtered by one status may show tests of others: none of them is thrown away."""
    fetch, requested = pages(5)
    tests = every_test_of(fetch, "failed")
    assert [t.title for t in tests if t.status == "failed"] == ["t1", "t2", "t3", "t4", "t5"]
    assert [t.title for t in tests if t.status == "passed"] == ["p1", "p2", "p3", "p4", "p5"]
    assert sorted(requested) == [1, 2, 3, 4, 5]


def test_repeated_pages_are_unusable() -> None:
    fetch, _ = pages(3, repeat=True)
    with pytest.raises(UnusableAnswerError, match="repeats specs of an earlier page"):
        every_test_of(fetch, "failed")


def test_endless_pagination_is_bounded() -> None:
    fetch, requested = pages(10**9)
    with pytest.raises(UnusableAnswerError, match="more than the gate reads"):
        every_test_of(fetch, "failed", max_pages=50)
    assert requested == [1]


def test_a_failing_page_fails_the_collection() -> None:
    def fetch(number: int) -> Page:
        if number == 3:
            raise UnusableAnswerError("page 3 is garbage")
        return Page((), (f"s{number}",), number, 4)

    with pytest.raises(UnusableAnswerError, match="page 3 is garbage"):
        every_test_of(fetch, "failed")


def served(*contents: tuple[tuple[TestResult, ...], tuple[str, ...]]):
    """A fetch that serves the given pages (tests, spec ids) as pages 1..n."""

    def fetch(number: int) -> Page:
        tests, spec_ids = contents[number - 1]
        return Page(tests, spec_ids, number, len(contents))

    return fetch


def named(spec: str, *titles: str, status: str = "failed", ids: str | None = None) -> tuple[TestResult, ...]:
    return tuple(
        TestResult(spec, title, status, 1.0, None if ids is None else f"{ids}{i}") for i, title in enumerate(titles)
    )


FIRST = named("a.spec.ts", "one", "two") + named("b.spec.ts", "three")
SECOND = named("c.spec.ts", "four") + named("d.spec.ts", "five", "six")
WITH_IDS = named("a.spec.ts", "one", "two", ids="t")
REORDERED_NEW_IDS = tuple(reversed(named("a.spec.ts", "one", "two", ids="x"))) + named("b.spec.ts", "three", ids="y")


@pytest.mark.parametrize(
    ("pages", "problem"),
    [
        # The same page again, without spec ids (fallbacks never match), or with new ones each time.
        (((FIRST, ("#1/0", "#1/1")), (FIRST, ("#2/0", "#2/1"))), "repeats the tests of an earlier page"),
        (((FIRST, ("s1", "s2")), (FIRST, ("s3", "s4"))), "repeats the tests of an earlier page"),
        # The same tests in another order, with new test ids.
        (
            (
                (FIRST, ("s1", "s2")),
                (SECOND, ("s3", "s4")),
                (REORDERED_NEW_IDS, ("s5", "s6")),
            ),
            "repeats the tests of an earlier page",
        ),
        # A part of an earlier page served again, ids and all.
        (
            (
                (WITH_IDS, ("s1",)),
                (WITH_IDS[1:], ("s2",)),
            ),
            "repeats tests of earlier pages",
        ),
        # A spec id seen on an earlier page, or twice on one page.
        (((FIRST, ("s1", "s2")), (SECOND, ("s9", "s1"))), "repeats specs of an earlier page"),
        (((FIRST, ("s1", "s1")),), "lists one spec twice"),
    ],
)
def test_a_page_that_repeats_an_earlier_one_is_unusable(pages, problem: str) -> None:
    with pytest.raises(UnusableAnswerError, match=problem):
        every_test_of(served(*pages), "failed", workers=1)


@pytest.mark.parametrize(
    "pages",
    [
        # One title twice in a spec (parametrized tests), and the same page content for another status.
        ((named("a.spec.ts", "adds", "adds"), ("s1",)), (named("b.spec.ts", "adds", "adds"), ("s2",))),
        # One file in several specs (Playwright projects): the same names, but not a whole page again.
        ((FIRST, ("s1", "s2")), (FIRST[:2] + SECOND, ("s3", "s4", "s5"))),
        # Test ids reused across specs, as some servers number tests within their spec.
        ((named("a.spec.ts", "x", ids="t"), ("s1",)), (named("b.spec.ts", "x", ids="t"), ("s2",))),
        # Pages without ids at all, each different.
        ((FIRST, ("#1/0", "#1/1")), (SECOND, ("#2/0", "#2/1"))),
        # Empty pages (a spec without tests) say nothing of repeats.
        (((), ("#1/0",)), ((), ("#2/0",)), (FIRST, ("s1", "s2"))),
    ],
)
def test_pages_that_only_look_alike_are_taken(pages) -> None:
    tests = every_test_of(served(*pages), "failed", workers=1)
    assert len(tests) == sum(len(page_tests) for page_tests, _ids in pages)


def test_the_same_page_for_two_statuses_is_no_repeat() -> None:
    page = FIRST + named("z.spec.ts", "flaky one", status="flaky")
    collected = every_page(lambda status, number: Page(page, ("s1", "s2", "s3"), number, 1), ["failed", "flaky"])
    assert len(collected["failed"]) == len(collected["flaky"]) == len(page)


def test_the_pages_of_one_listing_keep_every_status_and_refuse_repeats() -> None:
    mixed = FIRST + named("e.spec.ts", "skips", status="skipped")
    tests = read_listing([Page(mixed, ("s1", "s2", "s3"), 1, 2), Page(SECOND, ("s4", "s5"), 2, 2)])
    assert [test.status for test in tests].count("skipped") == 1 and len(tests) == 7
    with pytest.raises(UnusableAnswerError, match="page 2 of the tests repeats the tests of an earlier page"):
        read_listing([Page(mixed, ("#1/0",), 1, 2), Page(mixed, ("#2/0",), 2, 2)])


def run(status: str = "failed", **counts: int) -> Run:
    return Run(project_id="p", run_id="r", status=status, is_running=False, statistics={"passed": 5, **counts})


def listing(status: str, n: int) -> list[TestResult]:
    return [TestResult("a.spec.ts", f"{status} {i}", status, 1.0, f"id{status}{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("the_run", "first_page", "expected"),
    [
        # Counted by the statistics: asked for, even when the first page seems to list them all.
        (run(failed=2, flaky=1), listing("failed", 2) + listing("flaky", 1), ["failed", "flaky"]),
        (run(failed=3), [], ["failed"]),
        # Listed on the first page but not counted: asked for as well.
        (run("passed", failed=0), listing("failed", 1), ["failed"]),
        (run("passed"), listing("flaky", 1), ["flaky"]),
        # A failed run with no failed test counted or listed is looked at anyway.
        (run("failed"), [], ["failed"]),
        # Nothing failed or flaky anywhere: nothing to list.
        (run("passed"), listing("passed", 5), []),
    ],
    ids=["counted", "counted-not-listed", "listed-not-counted", "flaky-listed", "failed-run", "clean"],
)
def test_statuses_to_list(the_run: Run, first_page: list[TestResult], expected: list[str]) -> None:
    assert statuses_to_list(the_run, first_page) == expected


def test_every_spec_id_of_the_pages_is_told_specs_without_tests_too() -> None:
    def fetch(status: str, number: int) -> Page:
        tests = (TestResult("a.spec.ts", f"t{number}", status, None, spec_id=f"s{number}"),)
        return Page(tests, (f"s{number}", f"empty{number}", f"#{number}/2"), number, 3)

    spec_ids: set[str] = set()
    every_page(fetch, ["failed"], spec_ids=spec_ids)
    assert spec_ids == {"s1", "s2", "s3", "empty1", "empty2", "empty3"}


def test_a_repeated_part_is_told_however_many_tests_came_before() -> None:
    """The identities taken are held compactly (a table of marks that grows as it fills): a part of page 1 served
    again after 20,000 tests is refused all the same, and pages of new tests are taken."""
    contents = [
        (named(f"s{number}.spec.ts", *(f"t{i}" for i in range(1000)), ids=f"p{number}-"), (f"s{number}",))
        for number in range(1, 21)
    ]
    assert len(every_test_of(served(*contents), "failed", workers=1)) == 20_000
    again = (contents[0][0][500:], ("s99",))
    with pytest.raises(UnusableAnswerError, match="page 21 of the failed tests repeats tests of earlier pages"):
        every_test_of(served(*contents, again), "failed", workers=1)


@pytest.mark.parametrize("size", [1, 10, 1 << 13, 1 << 15])
def test_a_test_that_only_shares_a_mark_with_one_taken_is_new(size: int) -> None:
    """Hashes told apart only by their high bits share a mark: the array of hashes taken says they differ."""
    taken = Identities()
    taken.add(list(range(0, size * 7, 7)))
    assert taken.hold([0, 7 * (size - 1)])
    assert not taken.hold([0, 1 << 40])
    assert not taken.hold([(1 << 40) + 7])
