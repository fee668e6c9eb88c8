"""The one bound on requests in flight: places, the pause a Retry-After asks of every request, the deadline."""

from __future__ import annotations

import random
import threading
from contextlib import ExitStack

import pytest
import responses

from gate.client import PlaydashClient
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError
from gate.flight import InFlight
from tests.conftest import API_KEY, FakeClock

ROOT = "https://acme.neetoplaydash.com/api/external/v1"
RUN = f"{ROOT}/projects/pdqmxlz/runs/kftwnab"
OK = {"is_running": False, "status": "passed", "run_statistics": []}


def deadline(clock: FakeClock, seconds: float = 600) -> Deadline:
    return Deadline(seconds, clock=clock, pause=clock.sleep)


@pytest.mark.parametrize("limit", [1, 3])
def test_no_more_than_the_limit_hold_a_place_at_once(clock: FakeClock, limit: int) -> None:
    in_flight = InFlight(deadline(clock), limit)
    placed = threading.Event()

    def one_more() -> None:
        with in_flight.place():
            placed.set()

    with ExitStack() as held:
        for _ in range(limit):
            held.enter_context(in_flight.place())
        waiting = threading.Thread(target=one_more)
        waiting.start()
        assert not placed.wait(0.1)  # every place is taken: the request waits
    assert placed.wait(5)  # a place came free: it goes
    waiting.join()


def test_a_pause_holds_back_every_request_not_yet_sent(clock: FakeClock) -> None:
    in_flight = InFlight(deadline(clock), 4)
    in_flight.pause(5.0)
    in_flight.pause(2.0)  # a shorter pause asked later does not end the longer one
    with in_flight.place():
        assert clock.sleeps == [5.0]
    with in_flight.place():
        assert clock.sleeps == [5.0]  # over: the next goes at once


def test_past_the_deadline_no_request_waits_for_a_place(clock: FakeClock) -> None:
    ends = deadline(clock, 10)
    in_flight = InFlight(ends, 1)
    in_flight.pause(60.0)
    with in_flight.place():  # the pause is waited until the deadline, no longer
        assert clock.sleeps == [10.0]
        with in_flight.place():  # nor does it wait for a place: the transport refuses to send, at once
            pass


@responses.activate
def test_a_retry_after_on_one_request_slows_the_next_request_of_another_call(clock: FakeClock) -> None:
    responses.get(f"{RUN}/test_entities/t1/result_histories", status=429, headers={"Retry-After": "7"})
    responses.get(RUN, json=OK)
    client = PlaydashClient(ROOT, API_KEY, deadline(clock), sleep=clock.sleep, rng=random.Random(1))
    with pytest.raises(ApiUnavailableError):
        client.get_json("/projects/pdqmxlz/runs/kftwnab/test_entities/t1/result_histories", attempts=1)
    assert clock.sleeps == []  # the lookup gave up without waiting...
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    assert clock.sleeps == [7.0]  # ...but the next request, for the run, waited out the server's pause


@responses.activate
def test_a_retry_after_shorter_than_the_first_backoff_pauses_nobody(clock: FakeClock) -> None:
    responses.get(RUN, status=429, headers={"Retry-After": "0"})
    responses.get(RUN, json=OK)
    client = PlaydashClient(ROOT, API_KEY, deadline(clock), sleep=clock.sleep, rng=random.Random(1))
    with pytest.raises(ApiUnavailableError):
        client.get_json("/projects/pdqmxlz/runs/kftwnab", attempts=1)
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    assert clock.sleeps == []
