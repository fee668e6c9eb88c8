"""The one deadline: what is left of it, and work run within it in a thread that can be left behind."""

from __future__ import annotations

import threading

import pytest

from gate.deadline import Deadline, TimeUp, out_of_threads
from tests.conftest import FakeClock


def test_work_within_the_deadline_gives_its_result_or_its_own_error() -> None:
    deadline = Deadline(5)
    assert deadline.within(lambda: 42) == 42
    error = KeyError("the work's own")

    def broken() -> None:
        raise error

    with pytest.raises(KeyError) as caught:
        deadline.within(broken)
    assert caught.value is error


def test_work_still_under_way_at_the_deadline_is_left_behind() -> None:
    release = threading.Event()
    names: list[str] = []

    def stalled() -> None:
        names.append(threading.current_thread().name)
        release.wait(5)

    try:
        with pytest.raises(TimeUp):
            Deadline(0.05).within(stalled, grace=0.05, name="stalled-work")
        assert names == ["stalled-work"]
        worker = next(thread for thread in threading.enumerate() if thread.name == "stalled-work")
        assert worker.daemon and worker.is_alive()  # a daemon: it cannot keep the process from ending
    finally:
        release.set()


def test_an_expired_deadline_leaves_no_time_but_the_grace() -> None:
    deadline = Deadline(600)
    deadline.expire()
    release = threading.Event()
    try:
        with pytest.raises(TimeUp):
            deadline.within(lambda: release.wait(5), grace=0.01)
    finally:
        release.set()


def test_no_room_for_a_thread_is_running_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `ulimit -v`, starting a thread raises RuntimeError: it is memory running out, not a bug."""

    def refused(_thread: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    with pytest.raises(MemoryError):
        Deadline(5).within(lambda: 42)
    assert out_of_threads(RuntimeError("can't start new thread"))
    assert not out_of_threads(RuntimeError("something else")) and not out_of_threads(MemoryError())


def test_a_simulated_clock_sleeps_by_its_own_sleep_never_past_the_deadline(clock: FakeClock) -> None:
    deadline = Deadline(10, clock, pause=clock.sleep)
    deadline.sleep(4)
    deadline.sleep(60)  # only the 6 s left
    assert clock.sleeps == [4, 6]
    assert deadline.expired()
    deadline.sleep(1)  # none left: no sleep at all
    assert clock.sleeps == [4, 6]
