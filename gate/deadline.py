"""The one overall deadline that every wait and every request of the gate respects."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def out_of_threads(error: BaseException) -> bool:
    """Whether the error is the system refusing one more thread (RuntimeError: can't start new thread), which
    is the address space or the process limit running out: memory running out, not a bug."""
    return isinstance(error, RuntimeError) and "can't start new thread" in str(error)


def start(thread: threading.Thread) -> None:
    """Start the thread; MemoryError when the system has no room left for one (see `out_of_threads`)."""
    try:
        thread.start()
    except RuntimeError as error:
        if out_of_threads(error):
            raise MemoryError("no memory left to start a thread") from error
        raise


class TimeUp(Exception):
    """The deadline came while work run `within` it was still under way; the work was abandoned."""


@dataclass
class Deadline:
    """A point in time, `seconds` after `started` (default: now), read from an injectable monotonic clock.

    `expire()` ends it at once and wakes every `sleep()` under way, so that threads still waiting for
    a retry give up within moments of a cancel or an error, not at the original deadline. `pause`, when
    given, is a simulated clock's sleep (see `gate.clock.Clock`), used instead of waiting for real.
    """

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float | None = None
    pause: Callable[[float], None] | None = None
    _ended: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = self.clock()

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        assert self.started is not None
        return self.clock() - self.started

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return 0.0 if self._ended.is_set() else max(0.0, self.seconds - self.elapsed())

    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    def expire(self) -> None:
        """End it now: every wait and request still under way gives up at once (a cancel, an error)."""
        self.seconds = min(self.seconds, self.elapsed())
        self._ended.set()

    def sleep(self, seconds: float) -> None:
        """Sleep for `seconds`, but never past the deadline, and wake at once when it is expired."""
        wait = max(0.0, min(seconds, self.remaining()))
        if self.pause is None:
            self._ended.wait(wait)
        elif wait:
            self.pause(wait)

    def within(self, work: Callable[[], T], *, grace: float = 0.0, name: str = "within") -> T:
        """`work()` in a daemon thread, waited for until the deadline (and `grace` past it): its result, or its
        error raised here; TimeUp when it is still under way then.

        Socket timeouts bound each read and a pipe may never end: only a thread that can be left behind
        keeps such work from holding the gate past its deadline. Left behind, it ends with the process.
        """
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread as it is
                outcome["error"] = error

        worker = threading.Thread(target=run, name=name, daemon=True)
        start(worker)
        worker.join(timeout=self.remaining() + grace)
        if worker.is_alive():
            raise TimeUp(f"{name} still under way at the deadline")
        if "error" in outcome:
            raise outcome["error"]
        value: T = outcome["value"]
        return value
