"""Poll the run until `is_running` is false: exponential backoff with jitter, one overall deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_result

from gate.deadline import Deadline
from gate.errors import StillRunningError, UnusableAnswerError
from gate.model import IN_PROGRESS_STATUSES, Run

# The last poll is made this long before the deadline, so that its answer can still be used.
FINAL_POLL_SLACK = 1.0


class PollWait:
    """Waits that start at `initial`, double each poll up to `cap`, and jitter downwards by up to 20%.

    The jitter spreads the polls of many gates started by one pipeline; it only ever shortens a wait,
    so the cap stays a true bound on the time between the run finishing and the gate noticing.
    """

    def __init__(self, initial: float, cap: float, deadline: Deadline, rng: random.Random) -> None:
        self.initial, self.cap, self.deadline, self.rng = initial, cap, deadline, rng

    def __call__(self, state: RetryCallState) -> float:
        exponent = min(state.attempt_number - 1, 30)
        wait: float = min(self.cap, self.initial * 2**exponent) * self.rng.uniform(0.8, 1.0)
        return max(0.0, min(wait, self.deadline.remaining() - FINAL_POLL_SLACK))


def wait_until_finished(
    fetch: Callable[[], Run],
    deadline: Deadline,
    *,
    poll_interval: float,
    max_poll_interval: float,
    on_poll: Callable[[Run, float], None],
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    last_seen: Callable[[Run], None] = lambda _run: None,
) -> Run:
    """Fetch the run until it has finished; raise StillRunningError at the deadline.

    `on_poll(run, next_wait)` is told of every poll that found the run in progress; `last_seen`
    of every run fetched, so that a timeout or a cancel can still report what was last seen.
    """

    def poll() -> Run:
        run = fetch()
        last_seen(run)
        return run

    def still_running(state: RetryCallState) -> Run:
        run = state.outcome.result() if state.outcome else None
        counts = f" ({run.status}, {run.total} tests counted so far)" if run else ""
        raise StillRunningError(
            f"the run was still running when the deadline came after {deadline.seconds:.0f}s{counts}. "
            "Raise --timeout if runs take longer, or check in NeetoPlaydash why the run did not finish"
        )

    retrying = Retrying(
        retry=retry_if_result(lambda run: run.is_running),
        wait=PollWait(poll_interval, max_poll_interval, deadline, rng or random.Random()),
        stop=lambda _state: deadline.remaining() <= FINAL_POLL_SLACK,
        sleep=sleep,
        before_sleep=lambda state: on_poll(state.outcome.result(), state.upcoming_sleep),  # type: ignore[union-attr]
        retry_error_callback=still_running,
    )
    run: Run = retrying(poll)
    return ensure_finished(run)


def ensure_finished(run: Run) -> Run:
    """A run said to be finished must not still carry an in-progress status: no verdict on such a run."""
    if run.is_running:
        raise StillRunningError(
            f"the run is still in progress ({run.status}, {run.total} tests counted so far); "
            "judge it once it has finished"
        )
    if run.status in IN_PROGRESS_STATUSES:
        raise UnusableAnswerError(
            f"the API says the run has finished (`is_running` is false) but its status is still "
            f"`{run.status}`; the gate gives no verdict on a run in that state. Retry once the run settles"
        )
    return run
