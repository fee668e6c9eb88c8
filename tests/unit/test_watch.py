"""Polling: backoff from the first interval to the cap, jitter downwards only, one deadline."""

from __future__ import annotations

import random
from typing import Any

import pytest

from gate.deadline import Deadline
from gate.errors import StillRunningError, UnusableAnswerError
from gate.job.watch import wait_until_finished
from gate.model import Run
from tests.conftest import FakeClock


def runs(states: list[tuple[bool, str]]):
    sequence = iter(states)

    def fetch() -> Run:
        running, status = next(sequence)
        return Run("p", "r", status, running, {"passed": 1})

    return fetch


def wait(clock: FakeClock, states: list[tuple[bool, str]], seconds: float, **options: Any) -> Run:
    """Wait for a run going through `states`, polling every 2 s up to 15 s unless `options` say otherwise."""
    settings: dict[str, Any] = {"poll_interval": 2, "max_poll_interval": 15, "on_poll": lambda *_: None}
    return wait_until_finished(
        runs(states), Deadline(seconds, clock=clock), sleep=clock.sleep, **{**settings, **options}
    )


def test_waits_grow_from_the_first_interval_to_the_cap(clock: FakeClock) -> None:
    seen: list[float] = []
    run = wait(
        clock,
        [(True, "running")] * 8 + [(False, "passed")],
        600,
        on_poll=lambda _run, wait: seen.append(wait),
        rng=random.Random(3),
    )
    assert run.status == "passed"
    assert seen == clock.sleeps
    assert 1.6 <= clock.sleeps[0] <= 2.0
    assert 3.2 <= clock.sleeps[1] <= 4.0
    assert all(12.0 <= wait <= 15.0 for wait in clock.sleeps[3:])
    assert max(clock.sleeps) <= 15.0


def test_a_finished_run_is_returned_without_waiting(clock: FakeClock) -> None:
    wait(clock, [(False, "failed")], 60)
    assert clock.sleeps == []


def test_still_running_at_the_deadline(clock: FakeClock) -> None:
    last: list[Run] = []
    with pytest.raises(StillRunningError, match=r"still running when the deadline came after 60s \(failing"):
        wait(clock, [(True, "failing")] * 1000, 60, last_seen=last.append)
    assert clock.now - 1000 <= 60
    assert last and last[-1].status == "failing"


def test_the_last_poll_comes_just_before_the_deadline(clock: FakeClock) -> None:
    with pytest.raises(StillRunningError):
        wait(clock, [(True, "running")] * 1000, 100, poll_interval=10, max_poll_interval=60)
    assert 98 <= sum(clock.sleeps) <= 99 + 1e-6


@pytest.mark.parametrize("status", ["running", "passing", "failing"])
def test_finished_with_an_in_progress_status_gives_no_verdict(clock: FakeClock, status: str) -> None:
    with pytest.raises(UnusableAnswerError, match=f"its status is still `{status}`"):
        wait(clock, [(False, status)], 60)


def test_an_expired_deadline_ends_every_wait(clock: FakeClock) -> None:
    deadline = Deadline(600, clock=clock)
    clock.now += 5
    deadline.expire()
    assert deadline.remaining() == 0 and deadline.expired()
    assert deadline.elapsed() == 5
