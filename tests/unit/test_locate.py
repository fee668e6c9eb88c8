"""Finding a run by its CI build id: newest pages first, bounded, waiting for it to appear."""

from __future__ import annotations

import random

import pytest

from gate.deadline import Deadline
from gate.errors import NoVerdictError
from gate.job.locate import MAX_LIST_PAGES, find_baseline, find_run, scan
from tests.conftest import FakeClock


def listing(pages: list[list[dict]], appear_after: int = 0):
    calls: list[int] = []

    def list_page(page: int):
        calls.append(page)
        visible = pages if len(calls) > appear_after else [[] for _ in pages]
        return visible[page - 1], len(pages)

    return list_page, calls


def run(run_id: str, build: str, created: str = "2026-11-28T10:00:00Z") -> dict:
    return {"run_id": run_id, "ci_build_id": build, "created_at": created}


def test_the_run_of_the_build_is_found() -> None:
    list_page, _ = listing([[run("a", "other"), run("b", "gh-42")]])
    found = scan(list_page, "gh-42")
    assert found is not None and found.run_id == "b" and found.note is None


def test_two_runs_of_one_build_take_the_newest_and_say_so() -> None:
    list_page, _ = listing(
        [[run("new", "gh-42", "2026-11-28T11:00:00Z")], [run("old", "gh-42", "2026-11-28T09:00:00Z")]]
    )
    found = scan(list_page, "gh-42")
    assert found is not None and found.run_id == "new"
    assert found.note == "2 runs have the build id gh-42; the gate took the newest, new (also: old)"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2026-11-28T11:00:00+02:00", "2026-11-28T10:00:00Z"),  # 09:00 in UTC: older, though larger as text
        ("zzz", "2026-11-28T10:00:00Z"),  # no date ranks below every date
        ("2026-11-28T11:00:00", "2026-11-28T10:00:00Z"),  # no offset: no date
        (None, "2026-11-28T10:00:00Z"),
    ],
)
def test_runs_of_one_build_are_ordered_by_their_creation_as_moments(first: object, second: str) -> None:
    list_page, _ = listing([[run("first", "gh-42", first), run("second", "gh-42", second)]])  # type: ignore[arg-type]
    found = scan(list_page, "gh-42")
    assert found is not None and found.run_id == "second"


def test_runs_of_one_build_without_dates_take_the_first_listed() -> None:
    list_page, _ = listing([[run("first", "gh-42", "soon"), run("second", "gh-42", "later")]])
    found = scan(list_page, "gh-42")
    assert found is not None and found.run_id == "first"


def test_only_the_newest_pages_are_scanned() -> None:
    pages = [[run(f"r{i}", "x")] for i in range(50)]
    pages[-1] = [run("ancient", "gh-42")]
    list_page, calls = listing(pages)
    assert scan(list_page, "gh-42") is None
    assert calls == list(range(1, MAX_LIST_PAGES + 1))


def test_build_ids_match_exactly() -> None:
    list_page, _ = listing([[run("a", "gh-4"), run("b", "gh-42 "), run("c", "GH-42")]])
    assert scan(list_page, "gh-42") is None


def test_a_run_that_appears_late_is_waited_for(clock: FakeClock) -> None:
    list_page, calls = listing([[run("b", "gh-42")]], appear_after=3)
    waits: list[float] = []
    found = find_run(
        list_page,
        "gh-42",
        Deadline(600, clock=clock),
        poll_interval=2,
        max_poll_interval=15,
        on_wait=waits.append,
        sleep=clock.sleep,
        rng=random.Random(1),
    )
    assert found.run_id == "b"
    assert len(calls) == 4 and waits == clock.sleeps and len(waits) == 3


def test_a_run_that_never_appears_gives_no_verdict_at_the_deadline(clock: FakeClock) -> None:
    list_page, _ = listing([[run("a", "other")]])
    with pytest.raises(NoVerdictError, match="no run with the build id 'gh-42' appeared"):
        find_run(
            list_page,
            "gh-42",
            Deadline(60, clock=clock),
            poll_interval=2,
            max_poll_interval=15,
            on_wait=lambda _wait: None,
            sleep=clock.sleep,
        )
    assert clock.now - 1000 <= 60


def test_a_run_listed_again_is_one_run_and_a_page_bringing_none_new_ends_the_paging() -> None:
    # A server that ignores the page asked for, and says no page number: page 1 every time.
    calls: list[int] = []

    def list_page(page: int):
        calls.append(page)
        return [run("kftwnab", "gh-1"), run("KFTWNAB", "gh-1")], 5

    found = scan(list_page, "gh-1")
    assert found is not None and found.run_id == "kftwnab" and found.note is None
    assert calls == [1, 2]


def test_runs_already_seen_are_left_out_of_later_pages_and_new_ones_kept() -> None:
    list_page, calls = listing(
        [[run("a", "gh-1", "2026-11-28T09:00:00Z")], [run("A", "gh-1"), run("b", "gh-1", "2026-11-28T10:00:00Z")]]
    )
    found = scan(list_page, "gh-1")
    assert found is not None and found.run_id == "b"
    assert found.note == "2 runs have the build id gh-1; the gate took the newest, b (also: a)"
    assert calls == [1, 2]


def test_the_baseline_is_never_the_judged_run_in_another_case() -> None:
    pages = [
        [
            {"run_id": "KFTWNAB", "branch": "main", "is_running": False},
            {"run_id": "base", "branch": "main", "is_running": False},
        ]
    ]
    list_page, _ = listing(pages)
    assert find_baseline(list_page, "main", "kftwnab") == "base"
