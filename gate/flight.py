"""The one bound on requests in flight to NeetoPlaydash: made once per gate, shared by every request it makes.

Beside the transport and the retry rather than in the job, since the client (which the job may not be imported
by) takes a place for each of its requests; the job makes it, from `--max-in-flight`, and passes it down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gate.deadline import Deadline

# Requests in flight at once, by default: enough to hide most of the latency of a large run's pages, few enough
# that a monorepo's gates never storm the API (issue 22: one bound across every run a gate judges).
DEFAULT_IN_FLIGHT = 4
MAX_IN_FLIGHT = 32


class InFlight:
    """At most `limit` requests in flight at once, whatever run, page or lookup each is for; and a pause asked
    for by the server (Retry-After) on any of them holds back every request not yet sent until it is over.

    A request holds its place from before it is sent until its answer's body is read: decoding and parsing
    it then overlaps with the others' waits. Waits end at the deadline (then the transport refuses to send).
    """

    def __init__(self, deadline: Deadline, limit: int = DEFAULT_IN_FLIGHT) -> None:
        self.deadline, self.limit = deadline, limit
        self._changed = threading.Condition()
        self._taken = 0
        # When the last pause asked for ends, on the deadline's clock (seconds since it started).
        self._paused_until = 0.0

    @contextmanager
    def place(self) -> Iterator[None]:
        """Hold one place for a request: wait for a free one, and for any pause to end, within the deadline."""
        self._take()
        try:
            yield
        finally:
            with self._changed:
                self._taken -= 1
                self._changed.notify()

    def pause(self, seconds: float) -> None:
        """No request is sent for `seconds` from now (the server's Retry-After), whichever asked for it."""
        with self._changed:
            self._paused_until = max(self._paused_until, self.deadline.elapsed() + min(seconds, self.deadline.seconds))

    def _take(self) -> None:
        while True:
            with self._changed:
                wait = self._paused_until - self.deadline.elapsed()
                if self.deadline.expired() or (wait <= 0 and self._taken < self.limit):
                    self._taken += 1
                    return
                if wait <= 0:
                    # A place comes free when a request ends; an expired deadline ends those in flight at once.
                    self._changed.wait(timeout=max(0.01, min(1.0, self.deadline.remaining())))
                    continue
            self.deadline.sleep(wait)  # the deadline's sleep: simulated in tests, cut short by a cancel
