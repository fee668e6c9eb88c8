"""The one retry: tenacity, with an exponential backoff and jitter to a cap, Retry-After, one deadline and a budget.

Both APIs' calls retry their transient faults with it, and the job polls with it (finding the run, watching it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_result

from gate.deadline import Deadline

T = TypeVar("T")
# The jitter of the backoff between retries: it only ever shortens a wait, by up to a quarter.
RETRY_JITTER = (0.75, 1.0)
# The jitter of the waits between polls: downwards only, by up to a fifth, so the cap stays a true bound on
# the time between the run finishing and the gate noticing, and the polls of many gates spread out.
POLL_JITTER = (0.8, 1.0)
# Below this, a request could not even be sent and answered: treat the deadline as reached.
MIN_REQUEST_SECONDS = 0.05
# The last poll is made this long before the deadline, so that its answer can still be used.
FINAL_POLL_SLACK = 1.0


class TransientFault(Exception):
    """A fault worth retrying (network, 429, 5xx, a garbled answer); `retry_after` is the server's wish."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


class NoTimeToSend(TransientFault):
    """The deadline left no time for another request: the end of the retries, not a fault of the server's."""


class Backoff(NamedTuple):
    """Waits from `initial`, doubled per attempt up to `cap`, each times a random factor within `jitter`."""

    initial: float
    cap: float
    jitter: tuple[float, float]
    rng: random.Random

    def after(self, attempt: int) -> float:
        """The wait after attempt number `attempt` (the first is 1)."""
        growth: float = min(self.cap, self.initial * 2 ** min(attempt - 1, 30))
        return growth * self.rng.uniform(*self.jitter)

    def with_wish(self, attempt: int, retry_after: float | None) -> float:
        """The wait after `attempt`: the server's Retry-After when it asks for one (it knows best, and a storm of
        429s asking 1 s is waited out a second at a time, not at a growing backoff), plus a little jitter so that
        gates told the same second do not return together. A wish shorter than the backoff's first wait (0.001 s,
        a date past) is no wish: the backoff grows as without one, no storm of requests."""
        if not self.honours(retry_after):
            return self.after(attempt)
        assert retry_after is not None
        return retry_after + self.rng.uniform(0.0, min(1.0, retry_after * 0.1))

    def honours(self, retry_after: float | None) -> bool:
        """Whether a Retry-After is a wish waited out (see `with_wish`): none shorter than the first wait."""
        return bool(retry_after) and retry_after is not None and retry_after >= self.initial


class Polling(NamedTuple):
    """How the job polls (finding the run, watching it): within one deadline, from a first wait to a cap."""

    deadline: Deadline
    initial: float
    cap: float
    sleep: Callable[[float], None]
    rng: random.Random


class Tried(NamedTuple):
    """Where the attempts stand: how many were made, and what the last gave (a result, or a transient fault).

    `answered` is the last fault that came from the other side, not from the deadline's refusal to send.
    """

    attempts: int
    result: Any
    fault: TransientFault | None
    answered: TransientFault | None


def retry(
    attempt: Callable[[], T],
    deadline: Deadline,
    backoff: Backoff,
    *,
    sleep: Callable[[float], None],
    give_up: Callable[[Tried], NoReturn],
    budget: int | None = None,
    again: Callable[[T], bool] | None = None,
    squeeze: float | None = None,
    on_fault: Callable[[Tried], None] | None = None,
    on_wait: Callable[[Tried, float], None] | None = None,
) -> T:
    """`attempt()` until it meets no TransientFault (and, for polling, `again(result)` is false), then its result.

    Each wait is the backoff's, or the server's Retry-After when longer. No wait is begun that would leave less
    than a request's time before the deadline, and no more than `budget` attempts are made: `give_up` raises
    then. Polling gives a `squeeze` instead: its waits are shortened so that the last attempt comes that long
    before the deadline. `on_fault` hears of every fault, `on_wait` of every wait before it begins.
    """
    answered: list[TransientFault] = []

    def tried(state: RetryCallState) -> Tried:
        outcome = state.outcome
        failed = outcome is not None and outcome.failed
        fault = outcome.exception() if outcome is not None and failed else None
        result = outcome.result() if outcome is not None and not failed else None
        transient = fault if isinstance(fault, TransientFault) else None
        return Tried(state.attempt_number, result, transient, answered[-1] if answered else None)

    def after(state: RetryCallState) -> None:
        now = tried(state)
        if now.fault is not None and not isinstance(now.fault, NoTimeToSend):
            answered[:] = [now.fault]
        if on_fault is not None and now.fault is not None:
            on_fault(now)

    def wait(state: RetryCallState) -> float:
        fault = tried(state).fault
        seconds = backoff.with_wish(state.attempt_number, fault.retry_after if fault else None)
        if squeeze is None:
            return seconds
        return max(0.0, min(seconds, deadline.remaining() - squeeze))

    def stop(state: RetryCallState) -> bool:
        if budget is not None and state.attempt_number >= budget:
            return True
        if squeeze is not None:
            return deadline.remaining() <= squeeze
        return state.upcoming_sleep + MIN_REQUEST_SECONDS >= deadline.remaining()

    def before_sleep(state: RetryCallState) -> None:
        if on_wait is not None:
            on_wait(tried(state), state.upcoming_sleep)

    retrying: Retrying = Retrying(
        retry=retry_if_exception_type(TransientFault) | retry_if_result(again or _never),
        wait=wait,
        stop=stop,
        sleep=sleep,
        after=after,
        before_sleep=before_sleep,
        retry_error_callback=lambda state: give_up(tried(state)),
    )
    result: T = retrying(attempt)
    return result


def poll_until(
    attempt: Callable[[], T],
    again: Callable[[T], bool],
    deadline: Deadline,
    *,
    initial: float,
    cap: float,
    on_wait: Callable[[T, float], None],
    give_up: Callable[[T], NoReturn],
    sleep: Callable[[float], None],
    rng: random.Random | None = None,
) -> T:
    """Call `attempt` until `again(result)` is false, waiting from `initial` to `cap`, the last poll just before
    the deadline; `on_wait(result, wait)` is told before each wait, and `give_up(last result)` raises then."""
    return retry(
        attempt,
        deadline,
        Backoff(initial, cap, POLL_JITTER, rng or random.Random()),
        sleep=sleep,
        again=again,
        squeeze=FINAL_POLL_SLACK,
        # What the last poll found: polls meet no transient fault (the client retries its own).
        on_wait=lambda tried, wait: on_wait(tried.result, wait),
        give_up=lambda tried: give_up(tried.result),
    )


def _never(_result: Any) -> bool:
    return False
