"""The one retry: each wait follows the attempt it comes after, Retry-After, the deadline and the budget."""

from __future__ import annotations

import random
from typing import NoReturn

import pytest

from gate.deadline import Deadline
from gate.retry import RETRY_JITTER, Backoff, NoTimeToSend, TransientFault, Tried, retry
from tests.conftest import FakeClock


class GaveUp(Exception):
    def __init__(self, tried: Tried) -> None:
        super().__init__(f"{tried.attempts} attempts")
        self.tried = tried


def give_up(tried: Tried) -> NoReturn:
    raise GaveUp(tried)


def failing(*faults: TransientFault | str):
    """An attempt that meets each fault in turn, then returns what it is given last."""
    outcomes = list(faults)
    made: list[int] = []

    def attempt() -> str:
        made.append(1)
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, TransientFault):
            raise outcome
        return outcome

    return attempt, made


def backoff(seed: int = 7, cap: float = 30.0) -> Backoff:
    return Backoff(1.0, cap, RETRY_JITTER, random.Random(seed))


def test_each_wait_is_the_backoff_after_the_attempt_it_follows(clock: FakeClock) -> None:
    attempt, made = failing(*[TransientFault("HTTP 503")] * 6, "done")
    assert retry(attempt, Deadline(600, clock=clock), backoff(cap=20.0), sleep=clock.sleep, give_up=give_up) == "done"
    rng = random.Random(7)
    # The first wait comes after the first attempt and is the backoff's first: no attempt is counted twice.
    assert clock.sleeps == pytest.approx([min(20.0, 2.0**n) * rng.uniform(0.75, 1.0) for n in range(6)])
    assert len(made) == 7


def test_an_answer_on_the_first_attempt_waits_for_nothing(clock: FakeClock) -> None:
    attempt, made = failing("done")
    assert retry(attempt, Deadline(600, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up) == "done"
    assert clock.sleeps == [] and len(made) == 1


@pytest.mark.parametrize(("wish", "least", "most"), [(7.0, 7.0, 7.7), (0.001, 0.75, 1.0), (0.0, 0.75, 1.0)])
def test_retry_after_wins_over_the_backoff_but_never_below_it(
    clock: FakeClock, wish: float, least: float, most: float
) -> None:
    attempt, _made = failing(TransientFault("HTTP 429", retry_after=wish), "done")
    retry(attempt, Deadline(600, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up)
    assert len(clock.sleeps) == 1 and least <= clock.sleeps[0] <= most


def test_a_wish_beyond_the_deadline_gives_up_at_once(clock: FakeClock) -> None:
    attempt, made = failing(TransientFault("HTTP 429", retry_after=120.0))
    with pytest.raises(GaveUp) as caught:
        retry(attempt, Deadline(60, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up)
    assert clock.sleeps == [] and len(made) == 1
    assert caught.value.tried.fault is not None and caught.value.tried.fault.retry_after == 120.0


def test_the_budget_ends_the_retries_without_a_last_wait(clock: FakeClock) -> None:
    attempt, made = failing(TransientFault("HTTP 502"))
    with pytest.raises(GaveUp) as caught:
        retry(attempt, Deadline(600, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up, budget=3)
    assert len(made) == 3 and len(clock.sleeps) == 2
    assert caught.value.tried.attempts == 3


def test_no_wait_is_begun_that_would_end_past_the_deadline(clock: FakeClock) -> None:
    attempt, made = failing(TransientFault("HTTP 503"))
    with pytest.raises(GaveUp):
        retry(attempt, Deadline(20, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up)
    assert sum(clock.sleeps) <= 20 and len(made) == len(clock.sleeps) + 1


def test_the_last_answer_outlives_the_deadlines_refusal_to_send(clock: FakeClock) -> None:
    attempt, _made = failing(TransientFault("HTTP 503"), NoTimeToSend("no time to send"))
    with pytest.raises(GaveUp) as caught:
        retry(attempt, Deadline(600, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up, budget=2)
    tried = caught.value.tried
    assert isinstance(tried.fault, NoTimeToSend)
    assert tried.answered is not None and tried.answered.description == "HTTP 503"


def test_other_errors_are_not_retried(clock: FakeClock) -> None:
    def broken() -> str:
        raise ValueError("not a fault worth retrying")

    with pytest.raises(ValueError, match="not a fault"):
        retry(broken, Deadline(600, clock=clock), backoff(), sleep=clock.sleep, give_up=give_up)
    assert clock.sleeps == []


def test_every_fault_is_heard_and_every_wait_told_before_it_begins(clock: FakeClock) -> None:
    attempt, _made = failing(TransientFault("first"), TransientFault("second"), "done")
    heard: list[str] = []
    told: list[tuple[str, float]] = []
    retry(
        attempt,
        Deadline(600, clock=clock),
        backoff(),
        sleep=clock.sleep,
        give_up=give_up,
        on_fault=lambda tried: heard.append(str(tried.fault)),
        on_wait=lambda tried, wait: told.append((str(tried.fault), wait)),
    )
    assert heard == ["first", "second"]
    assert told == list(zip(heard, clock.sleeps, strict=True))


def test_polling_squeezes_the_last_attempt_in_before_the_deadline(clock: FakeClock) -> None:
    polls: list[float] = []

    def poll() -> str:
        polls.append(clock.now)
        return "running"

    with pytest.raises(GaveUp) as caught:
        retry(
            poll,
            Deadline(100, clock=clock),
            Backoff(10.0, 60.0, (0.8, 1.0), random.Random(1)),
            sleep=clock.sleep,
            give_up=give_up,
            again=lambda state: state == "running",
            squeeze=1.0,
        )
    assert caught.value.tried.result == "running"
    assert 98 <= polls[-1] - 1000 <= 99 + 1e-6
