"""The one overall deadline that every wait and every request of the gate respects."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Deadline:
    """A point in time, `seconds` after creation, read from an injectable monotonic clock."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return self.clock() - self.started

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.seconds - self.elapsed())

    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    def expire(self) -> None:
        """End it now: every wait and request still under way gives up at once (a cancel, an error)."""
        self.seconds = min(self.seconds, self.elapsed())
