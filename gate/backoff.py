"""The one backoff: exponential growth to a cap, with jitter, shared by polling, finding and retries.

And the one deadline-bounded polling loop that finding the run and waiting for it share.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, NoReturn, TypeVar

from gate.deadline import Deadline

if TYPE_CHECKING:
    from tenacity import RetryCallState

T = TypeVar("T")
# The last poll is made this long before the deadline, so that its answer can still be used.
FINAL_POLL_SLACK = 1.0


class Polling(NamedTuple):
    """How the job polls (finding the run, watching it): within one deadline, from a first wait to a cap."""

    deadline: Deadline
    initial: float
    cap: float
    sleep: Callable[[float], None]
    rng: random.Random


def exponential(attempt: int, initial: float, cap: float, rng: random.Random, jitter: tuple[float, float]) -> float:
    """`initial` doubled per attempt (the first is 1) up to `cap`, times a random factor within `jitter`."""
    exponent = min(attempt - 1, 30)
    growth: float = min(cap, initial * 2**exponent)
    return growth * rng.uniform(*jitter)


class PollWait:
    """Waits that start at `initial`, double each poll up to `cap`, and jitter downwards by up to 20%.

    The jitter spreads the polls of many gates started by one pipeline; it only ever shortens a wait,
    so the cap stays a true bound on the time between the run finishing and the gate noticing.
    """

    def __init__(self, initial: float, cap: float, deadline: Deadline, rng: random.Random) -> None:
        self.initial, self.cap, self.deadline, self.rng = initial, cap, deadline, rng

    def after(self, attempt: int) -> float:
        """The wait after attempt number `attempt` (the first is 1), never past the last useful poll."""
        wait = exponential(attempt, self.initial, self.cap, self.rng, (0.8, 1.0))
        return max(0.0, min(wait, self.deadline.remaining() - FINAL_POLL_SLACK))

    def __call__(self, state: RetryCallState) -> float:
        return self.after(state.attempt_number)


def poll_until(
    attempt: Callable[[], T],
    again: Callable[[T], bool],
    deadline: Deadline,
    *,
    initial: float,
    cap: float,
    on_wait: Callable[[T, float], None],
    give_up: Callable[[T | None], NoReturn],
    sleep: Callable[[float], None],
    rng: random.Random | None = None,
) -> T:
    """Call `attempt` until `again(result)` is false, waiting with PollWait, within the deadline.

    `on_wait(result, wait)` is told before each wait; at the deadline `give_up(last result)` raises.
    The first attempt is made before tenacity is even loaded: a run that has already finished (the
    common case of a gate started late) pays nothing for the machinery of waiting.
    """
    first = attempt()
    if not again(first):
        return first
    from tenacity import Retrying, retry_if_result  # noqa: PLC0415 - only once a wait is needed

    waits = PollWait(initial, cap, deadline, rng or random.Random())
    made = [first]

    def stop(_state: RetryCallState) -> bool:
        return deadline.remaining() <= FINAL_POLL_SLACK

    def deadline_reached(state: RetryCallState) -> T:
        give_up(state.outcome.result() if state.outcome and not state.outcome.failed else made[-1])

    def attempts_after_the_first() -> T:
        made.append(attempt())
        return made[-1]

    # The first attempt's wait, as tenacity would have made it (attempt 1), then tenacity for the rest.
    if deadline.remaining() <= FINAL_POLL_SLACK:
        give_up(first)
    wait = waits.after(1)
    on_wait(first, wait)
    sleep(wait)
    retrying = Retrying(
        retry=retry_if_result(again),
        wait=lambda state: waits.after(state.attempt_number + 1),
        stop=stop,
        sleep=sleep,
        before_sleep=lambda state: on_wait(state.outcome.result(), state.upcoming_sleep),  # type: ignore[union-attr]
        retry_error_callback=deadline_reached,
    )
    result: T = retrying(attempts_after_the_first)
    return result
