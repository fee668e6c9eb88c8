"""The gate's time: one clock for every deadline, wait and date, given to `main()` so tests run in simulated time."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass


def utc_now() -> datetime.datetime:
    """The wall-clock time in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass(frozen=True)
class Clock:
    """Monotonic seconds (the deadline, polling, fail fast, stall detection), a sleep, and the wall clock (the
    day quarantine entries are judged by, the comment's footer).

    `sleep` None is real time: a wait that an expired deadline cuts short at once (`Deadline.sleep`). A
    simulated clock gives its own sleep, which moves its monotonic time on instead of waiting.
    """

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] | None = None
    now: Callable[[], datetime.datetime] = utc_now

    def today(self) -> datetime.date:
        """Today's date in UTC."""
        return self.now().date()


REAL = Clock()
