"""Polling: backoff from the first interval to the cap, jitter downwards only, one deadline."""

from __future__ import annotations

import random

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


def test_waits_grow_from_the_first_interval_to_the_cap(clock: FakeClock) -> None:
    seen: list[float] = []
    run = wait_until_finished(
        runs([(True, "running")] * 8 + [(False, "passed")]),
        Deadline(600, clock=clock),
        poll_interval=2,
        max_poll_interval=15,
        on_poll=lambda _run, wait: seen.append(wait),
        sleep=clock.sleep,
        rng=random.Random(3),
    )
    assert run.status == "passed"
    assert seen == clock.sleeps
    assert 1.6 <= clock.sleeps[0] <= 2.0
    assert 3.2 <= clock.sleeps[1] <= 4.0
    assert all(12.0 <= wait <= 15.0 for wait in clock.sleeps[3:])
    assert max(clock.sleeps) <= 15.0


def test_a_finished_run_is_returned_without_waiting(clock: FakeClock) -> None:
    wait_until_finished(
        runs([(False, "failed")]),
        Deadline(60, clock=clock),
        poll_interval=2,
        max_poll_interval=15,
        on_poll=lambda *_: None,
        sleep=clock.sleep,
    )
    assert clock.sleeps == []


def test_still_running_at_the_deadline(clock: FakeClock) -> None:
    last: list[Run] = []
    with pytest.raises(StillRunningError, match=r"still running when the deadline came after 60s \(failing"):
        wait_until_finished(
            runs([(True, "failing")] * 1000),
            Deadline(60, clock=clock),
            poll_interval=2,
            max_poll_interval=15,
            on_poll=lambda *_: None,
            sleep=clock.sleep,
            last_seen=last.append,
        )
    assert clock.now - 1000 <= 60
    assert last and last[-1].status == "failing"


def test_the_last_poll_comes_just_before_the_deadline(clock: FakeClock) -> None:
    with pytest.raises(StillRunningError):
        wait_until_finished(
            runs([(True, "running")] * 1000),
            Deadline(100, clock=clock),
            poll_interval=10,
            max_poll_interval=60,
            on_poll=lambda *_: None,
            sleep=clock.sleep,
        )
    assert 98 <= sum(clock.sleeps) <= 99 + 1e-6


@pytest.mark.parametrize("status", ["running", "passing", "failing"])
def test_finished_with_an_in_progress_status_gives_no_verdict(clock: FakeClock, status: str) -> None:
    with pytest.raises(UnusableAnswerError, match=f"its status is still `{status}`"):
        wait_until_finished(
            runs([(False, status)]),
            Deadline(60, clock=clock),
            poll_interval=2,
            max_poll_interval=15,
            on_poll=lambda *_: None,
            sleep=clock.sleep,
        )


def test_an_expired_deadline_ends_every_wait(clock: FakeClock) -> None:
    deadline = Deadline(600, clock=clock)
    clock.now += 5
    deadline.expire()
    assert deadline.remaining() == 0 and deadline.expired()
    assert deadline.elapsed() == 5
