"""The HTTP client with `responses`: headers, retries and their waits, refusals, redirects, limits, deadline."""

from __future__ import annotations

import io
import json
import math
import random
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import requests.adapters
import requests.structures
import responses
import urllib3.exceptions
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate import client as client_module
from gate.answers import RETRY_AFTER_CAP, error_text, parse_retry_after
from gate.bounded import Limit
from gate.client import MAX_UNRESOLVED_SECONDS, PlaydashClient
from gate.clock import REAL, Clock
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from gate.redact import Redactor
from gate.text import server_text
from gate.transport import attempt_timeout, is_name_resolution_failure
from tests.acceptance.adversarial.hostile import GateResult, Handler, Reply, Request, hostile, run_body, run_gate, spec
from tests.conftest import API_KEY, FakeClock
from tests.properties import examples

ROOT = "https://acme.neetoplaydash.com/api/external/v1"
RUN = f"{ROOT}/projects/pdqmxlz/runs/kftwnab"
OK = {"is_running": False, "status": "passed", "run_statistics": []}


def make(clock: FakeClock, timeout: float = 600) -> PlaydashClient:
    return PlaydashClient(ROOT, API_KEY, Deadline(timeout, clock=clock), sleep=clock.sleep, rng=random.Random(1))


@responses.activate
def test_sends_the_key_and_accept_headers_and_no_key_in_the_url(clock: FakeClock) -> None:
    responses.get(RUN, json=OK)
    assert make(clock).get_run("pdqmxlz", "kftwnab", status="failed", page=2, page_size=100) == OK
    sent = responses.calls[0].request
    assert sent.headers["X-Api-Key"] == API_KEY
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("playdash-gate")
    assert API_KEY not in (sent.url or "")
    assert "status=failed" in (sent.url or "") and "page=2" in (sent.url or "") and "page_size=100" in (sent.url or "")


@responses.activate
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_growing_waits(clock: FakeClock, status: int) -> None:
    for _ in range(3):
        responses.get(RUN, status=status, json={"error": "busy"})
    responses.get(RUN, json=OK)
    client = make(clock)
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    assert client.requests_made == 4
    assert len(clock.sleeps) == 3
    assert clock.sleeps[0] < clock.sleeps[1] < clock.sleeps[2]


@responses.activate
def test_the_backoff_doubles_to_its_cap_and_jitters_down_by_a_quarter(clock: FakeClock) -> None:
    for _ in range(7):
        responses.get(RUN, status=503)
    responses.get(RUN, json=OK)
    client = PlaydashClient(
        ROOT, API_KEY, Deadline(600, clock=clock), sleep=clock.sleep, rng=random.Random(7), backoff_max=20.0
    )
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    rng = random.Random(7)
    assert clock.sleeps == pytest.approx([min(20.0, 2.0**n) * rng.uniform(0.75, 1.0) for n in range(7)])


@responses.activate
def test_retry_after_seconds_is_honoured(clock: FakeClock) -> None:
    responses.get(RUN, status=429, headers={"Retry-After": "7"})
    responses.get(RUN, json=OK)
    make(clock).get_run("pdqmxlz", "kftwnab")
    assert len(clock.sleeps) == 1
    assert 7.0 <= clock.sleeps[0] <= 7.7  # as asked, with at most 10% of jitter added


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
    later = (now + timedelta(seconds=42)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == pytest.approx(42)
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("-5", now) == 0


@responses.activate
@pytest.mark.parametrize("wish", ["0", "0.001", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_tiny_or_past_retry_after_never_makes_a_storm(clock: FakeClock, wish: str) -> None:
    # A wish shorter than the backoff is no reason to retry at once: the longer of the two wins.
    responses.get(RUN, status=503, headers={"Retry-After": wish})
    client = make(clock, timeout=60)
    with pytest.raises(ApiUnavailableError):
        client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made <= 8
    assert all(wait >= 0.5 for wait in clock.sleeps)


@responses.activate
def test_a_storm_of_429s_asking_a_second_is_waited_a_second_at_a_time(clock: FakeClock) -> None:
    """The server's wish is honoured as it is, not raised to a growing backoff (5 429s: about 5 s, not 30 s)."""
    for _ in range(5):
        responses.get(RUN, status=429, headers={"Retry-After": "1"})
    responses.get(RUN, json=OK)
    make(clock, timeout=60).get_run("pdqmxlz", "kftwnab")
    assert len(clock.sleeps) == 5 and all(1.0 <= wait <= 1.1 for wait in clock.sleeps), clock.sleeps


@responses.activate
def test_retry_after_beyond_the_deadline_gives_up_at_once(clock: FakeClock) -> None:
    responses.get(RUN, status=429, headers={"Retry-After": "999999999"})
    with pytest.raises(ApiUnavailableError, match="asked the gate to wait 999999999s"):
        make(clock, timeout=60).get_run("pdqmxlz", "kftwnab")
    assert clock.sleeps == []


@responses.activate
def test_retries_stop_at_the_deadline(clock: FakeClock) -> None:
    responses.get(RUN, status=503)
    client = make(clock, timeout=20)
    with pytest.raises(ApiUnavailableError, match=r"stayed unavailable until the deadline .* last: HTTP 503"):
        client.get_run("pdqmxlz", "kftwnab")
    assert sum(clock.sleeps) <= 20
    assert client.requests_made >= 4


@responses.activate
def test_the_last_answer_is_named_when_the_deadline_ends_the_retries(clock: FakeClock) -> None:
    # A loaded machine oversleeps each wait by 5 s: the last retry finds no time left to send. The
    # message names what the API last did (not JSON), not only that the deadline then came.
    def oversleep(seconds: float) -> None:
        clock.sleep(seconds + 5)

    responses.get(RUN, status=200, body="<html>", content_type="text/html")
    client = PlaydashClient(ROOT, API_KEY, Deadline(12, clock=clock), sleep=oversleep, rng=random.Random(1))
    with pytest.raises(ApiUnavailableError) as caught:
        client.get_run("pdqmxlz", "kftwnab")
    message = caught.value.message
    assert "not JSON" in message and "then the deadline came before the request could be sent" in message


@responses.activate
@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("Connection refused"),
        requests.ConnectTimeout("connect timed out"),
        requests.ReadTimeout("read timed out"),
        requests.exceptions.ChunkedEncodingError("IncompleteRead"),
    ],
)
def test_network_faults_are_retried(clock: FakeClock, error: Exception) -> None:
    responses.get(RUN, body=error)
    responses.get(RUN, json=OK)
    assert make(clock).get_run("pdqmxlz", "kftwnab") == OK


@responses.activate
def test_a_body_that_is_not_json_is_retried(clock: FakeClock) -> None:
    responses.get(RUN, body="<html>502 Bad Gateway</html>", content_type="text/html")
    responses.get(RUN, json=OK)
    assert make(clock).get_run("pdqmxlz", "kftwnab") == OK
    assert len(responses.calls) == 2 and len(clock.sleeps) == 1


@responses.activate
@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (400, "malformed"),
        (401, "the API key was refused"),
        (403, "not allowed to read this project"),
        (404, "the project or run was not found"),
        (422, "refused the request's parameters"),
        (418, "refused"),
    ],
)
def test_refusals_are_set_up_errors_without_retry(clock: FakeClock, status: int, hint: str) -> None:
    responses.get(RUN, status=status, json={"error": "Could not authenticate, invalid API Key"})
    client = make(clock)
    with pytest.raises(SetupError, match=hint) as caught:
        client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made == 1
    assert f"HTTP {status}" in caught.value.message
    assert "the API said: Could not authenticate" in caught.value.message


def test_neeto_error_bodies() -> None:
    assert error_text(b'{"errors": ["a", "b"]}') == "a; b"
    assert error_text(b'{"notice": "n"}') == "n"
    assert error_text(b'{"field_errors": [{"field": "page", "message": "too big"}]}') == "page: too big"
    assert error_text(b'{"error": "line\\nbreak"}') == "line break"
    assert error_text(b"<html>") == ""


@responses.activate
def test_a_redirect_to_another_origin_is_refused_and_the_key_not_sent(clock: FakeClock) -> None:
    responses.get(RUN, status=302, headers={"Location": "https://evil.example.com/steal"})
    evil = responses.get("https://evil.example.com/steal", json=OK)
    with pytest.raises(SetupError, match=r"redirected to another address \(https://evil.example.com\)"):
        make(clock).get_run("pdqmxlz", "kftwnab")
    assert evil.call_count == 0


@responses.activate
def test_a_redirect_within_the_origin_is_followed(clock: FakeClock) -> None:
    responses.get(RUN, status=301, headers={"Location": "/api/external/v1/projects/pdqmxlz/runs/kftwnab/"})
    responses.get(RUN + "/", json=OK)
    assert make(clock).get_run("pdqmxlz", "kftwnab") == OK


@responses.activate
def test_endless_redirects_end(clock: FakeClock) -> None:
    responses.get(RUN, status=302, headers={"Location": RUN})
    with pytest.raises(SetupError, match="redirected more than"):
        make(clock).get_run("pdqmxlz", "kftwnab")


@responses.activate
def test_a_body_past_the_limit_is_refused(clock: FakeClock) -> None:
    responses.get(RUN, body=b'{"x": "' + b"a" * 5000 + b'"}', content_type="application/json")
    with pytest.raises(
        UnusableAnswerError, match=r"the API's test answer is larger than 1,000 bytes \(5,009 bytes or more\)"
    ):
        make(clock).get_json("/projects/pdqmxlz/runs/kftwnab", limit=Limit("test answer", 1000, 1000))


@responses.activate
def test_declared_length_past_the_limit_is_refused_before_reading(clock: FakeClock) -> None:
    responses.get(RUN, body=b"{}", headers={"Content-Length": str(10**12)}, auto_calculate_content_length=False)
    with pytest.raises(UnusableAnswerError, match="larger than 4 MiB"):
        make(clock).get_run("pdqmxlz", "kftwnab")


@responses.activate
@pytest.mark.parametrize(
    ("deadline", "expected"), [(600, (10, 30)), (25, (25 / 3, 25 / 3)), (5, (2, 2)), (1.5, (1.5, 1.5))]
)
def test_timeouts_are_set_on_every_request_and_leave_room_to_retry(
    clock: FakeClock, deadline: float, expected: tuple[float, float]
) -> None:
    responses.get(RUN, json=OK)
    make(clock, timeout=deadline).get_run("pdqmxlz", "kftwnab")
    assert responses.calls[0].request.req_kwargs["timeout"] == pytest.approx(expected)


@responses.activate
def test_no_request_once_the_deadline_has_passed(clock: FakeClock) -> None:
    client = make(clock, timeout=1)
    clock.now += 5
    with pytest.raises(ApiUnavailableError):
        client.get_run("pdqmxlz", "kftwnab")
    assert len(responses.calls) == 0


def test_ids_are_quoted_into_the_path() -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{ROOT}/projects/a%2Fb/runs/c", json=OK)
        clock = FakeClock()
        make(clock).get_run("a/b", "c")


# -- each attempt leaves room for another (class 9) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [(1800, 30), (91, 30), (90, 30), (60, 20), (25, 25 / 3), (9, 3), (6, 2), (5, 2), (2, 2), (1.5, 1.5), (0.1, 0.1)],
)
def test_an_attempt_waits_a_third_of_the_time_left_between_2_and_30_seconds(remaining: float, expected: float) -> None:
    assert attempt_timeout(remaining) == pytest.approx(expected)


@pytest.mark.parametrize("remaining", [0.01, 0.5, 1.9, 2.5, 5.9, 6.1, 17, 89, 91, 1e6])
def test_an_attempt_never_outlives_the_deadline_and_leaves_two_more_when_it_can(remaining: float) -> None:
    wait = attempt_timeout(remaining)
    assert 0 < wait <= min(remaining, 30)
    assert wait <= max(2.0, remaining / 3)


@responses.activate
def test_a_stalled_answer_is_retried_within_the_deadline(clock: FakeClock) -> None:
    responses.get(RUN, body=requests.ReadTimeout("read timed out"))
    responses.get(RUN, json=OK)
    client = make(clock, timeout=25)
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    first, second = (call.request.req_kwargs["timeout"][1] for call in responses.calls)
    assert first == pytest.approx(25 / 3)
    assert second < first


# -- Retry-After: numbers arithmetic cannot hold (class 6) ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("+3", 3.0),
        ("0", 0.0),
        ("9" * 400, RETRY_AFTER_CAP),
        ("1" + "0" * 5000, RETRY_AFTER_CAP),
        ("99999999999", RETRY_AFTER_CAP),
        ("Fri, 01 Jan 99999 00:00:00 GMT", RETRY_AFTER_CAP),
        ("Fri, 01 Jan 1000000000000000000000 00:00:00 GMT", RETRY_AFTER_CAP),
        ("1e999", None),
        ("-1e999", None),
        ("inf", None),
        ("-inf", None),
        ("Infinity", None),
        ("nan", None),
        ("NaN", None),
        ("0x10", None),
        ("1_000", None),
        ("٣", None),
        ("", None),
        ("   ", None),
        ("\x00", None),
        ("Fri, 01 Foo 2026 00:00:00 GMT", None),
    ],
)
def test_retry_after_is_finite_and_non_negative_or_none_and_never_raises(value: str, expected: float | None) -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
    got = parse_retry_after(value, now)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    ["Fri, 31 Dec 9999 23:59:59 -2359", "Fri, 31 Dec 9999 23:59:59 +2359", "Fri, 31 Dec 9999 23:59:59 GMT"],
)
def test_retry_after_dates_at_the_end_of_year_9999_are_far_but_finite(value: str) -> None:
    assert parse_retry_after(value, datetime(2026, 1, 1, tzinfo=timezone.utc)) == RETRY_AFTER_CAP


RETRY_AFTER_PIECES = ["Fri, ", "Mon,", "01 ", "32 ", "Jan ", "Foo ", "0000 ", "9999 ", "99999 ", "10" * 30 + " "]
RETRY_AFTER_PIECES += ["00:00:00 ", "25:61:61 ", "GMT", "+2359", "-9999", "1e999", "inf", "nan", "-", "9" * 400, "."]


@settings(max_examples=examples(100))
@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(RETRY_AFTER_PIECES), max_size=7).map("".join)))
# A day of 400 digits: parsedate_tz gives it back as it is, and turning it into a float overflowed.
@example("9" * 400 + "01 Jan 00:00:00 01")
def test_retry_after_of_any_text_is_none_or_a_finite_wait(value: str) -> None:
    got = parse_retry_after(value, datetime(2026, 11, 28, tzinfo=timezone.utc))
    assert got is None or (math.isfinite(got) and 0 <= got <= RETRY_AFTER_CAP)


@responses.activate
@pytest.mark.parametrize("value", ["9" * 400, "Fri, 01 Jan 99999 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -2359"])
def test_an_absurd_retry_after_gives_up_at_once_with_a_clear_message(clock: FakeClock, value: str) -> None:
    responses.get(RUN, status=429, headers={"Retry-After": value})
    with pytest.raises(
        ApiUnavailableError, match=r"asked the gate to wait .*beyond the deadline.*raise --timeout"
    ) as caught:
        make(clock, timeout=60).get_run("pdqmxlz", "kftwnab")
    assert clock.sleeps == []
    assert "wait for centuries (Retry-After)" in caught.value.message
    assert "inf" not in caught.value.message and "0000000" not in caught.value.message


@responses.activate
@pytest.mark.parametrize("value", ["1e999", "inf", "nan", "-5", "Fri, 01 Jan 99999 junk"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(clock: FakeClock, value: str) -> None:
    responses.get(RUN, status=503, headers={"Retry-After": value})
    responses.get(RUN, json=OK)
    assert make(clock).get_run("pdqmxlz", "kftwnab") == OK
    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= 1


# -- answers the gate cannot hold: absurd numbers, absurd nesting (class 6) -------------------------------------


UNHOLDABLE = {
    "nested-list": b"[" * 100_000 + b"]" * 100_000,
    "nested-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "nested-in-a-field": b'{"is_running": false, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@responses.activate
@pytest.mark.parametrize("body", list(UNHOLDABLE.values()), ids=list(UNHOLDABLE))
def test_an_answer_nested_past_what_json_reads_is_unusable_at_once(clock: FakeClock, body: bytes) -> None:
    responses.get(RUN, body=body, content_type="application/json")
    client = make(clock)
    with pytest.raises(UnusableAnswerError, match="cannot be used: it is nested too deeply to read") as caught:
        client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made == 1 and clock.sleeps == []
    assert len(caught.value.message) < 400


# Numbers no float can hold are read as what they are (NaN, an infinity): the model, not the client, decides
# whether they make a duration unknown or the answer unusable.
NOT_FINITE = {
    "5000-digits": (b"9" * 5000, math.inf),
    "negative-5000-digits": (b"-" + b"9" * 5000, -math.inf),
    "int-beyond-floats": (b"1" + b"0" * 400, math.inf),
    "int-just-beyond-floats": (str(2**1024).encode(), math.inf),
    "float-overflow": (b"1e999", math.inf),
    "negative-float-overflow": (b"-1e999", -math.inf),
    "long-float-overflow": (b"1" + b"0" * 400 + b".5", math.inf),
    "infinity": (b"Infinity", math.inf),
    "minus-infinity": (b"-Infinity", -math.inf),
    "nan": (b"NaN", math.nan),
}


@responses.activate
@pytest.mark.parametrize(("literal", "expected"), list(NOT_FINITE.values()), ids=list(NOT_FINITE))
def test_a_number_no_float_can_hold_is_read_as_nan_or_an_infinity(
    clock: FakeClock, literal: bytes, expected: float
) -> None:
    responses.get(RUN, body=b'{"duration": ' + literal + b', "n": [' + literal + b"]}", content_type="application/json")
    client = make(clock)
    got = client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made == 1 and clock.sleeps == []
    for value in (got["duration"], got["n"][0]):
        assert isinstance(value, float)
        assert math.isnan(value) if math.isnan(expected) else value == expected


@responses.activate
def test_large_but_reasonable_numbers_are_fine(clock: FakeClock) -> None:
    body = {"duration": 1e300, "count": 10**300, "largest": 2**1023, "small": -1e-300, "zero": -0.0}
    responses.get(RUN, json=body)
    got = make(clock).get_run("pdqmxlz", "kftwnab")
    assert got == body and isinstance(got["count"], int) and isinstance(got["largest"], int)


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"error": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"errors": [' + b"[" * 500 + b"]" * 500 + b', "bad key"]}',
        b'{"field_errors": [{"field": ' + b"[" * 500 + b"]" * 500 + b', "message": {"a": {"b": 1}}}]}',
        b'{"errors": [' + b"9" * 5000 + b"]}",
    ],
    ids=["nested", "nested-error", "nested-errors-item", "nested-field-error", "digits"],
)
def test_a_refusal_with_an_absurd_body_is_still_a_set_up_error(clock: FakeClock, status: int, body: bytes) -> None:
    responses.get(RUN, status=status, body=body, content_type="application/json")
    with pytest.raises(SetupError, match=f"HTTP {status}"):
        make(clock).get_run("pdqmxlz", "kftwnab")


def test_error_text_never_raises_and_skips_nested_items() -> None:
    assert error_text(b'{"errors": [[[1]], "b", 3]}') == "b; 3"
    assert error_text(b"[" * 100_000) == ""
    assert error_text(b'{"field_errors": [{"field": [1], "message": "m"}]}') == "None: m"


@responses.activate
def test_a_length_of_thousands_of_digits_is_too_large_not_a_crash(clock: FakeClock) -> None:
    responses.get(RUN, body=b"{}", headers={"Content-Length": "9" * 5000}, auto_calculate_content_length=False)
    with pytest.raises(UnusableAnswerError, match="larger than 4 MiB"):
        make(clock).get_run("pdqmxlz", "kftwnab")


# -- the key never leaves through the server's own words (class 4) ---------------------------------------------

# Keys with `_`, `*`, `-` and `.` whose 8-character pieces occur nowhere in the gate's own words; the same
# table serves the server's words here and the real CLI below.
ECHOED_KEYS = ["pd_live_K3y.with-*odd*_chars", "Zq*9_xW.v-Rk*7_mY.p-Tn", "-._*Qx8Jv3Lw-._*"]


def fragments(key: str, length: int = 8) -> list[str]:
    return [key[start : start + length] for start in range(len(key) - length + 1)]


def assert_no_fragment(text: str, key: str) -> None:
    for fragment in fragments(key):
        assert fragment not in text, fragment


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("field", ["error", "notice", "errors", "field_errors"])
def test_error_text_redacts_before_it_cuts(key: str, field: str) -> None:
    for offset in range(280 - len(key), 305):
        said = "x" * offset + key + " tail"
        body: object = {"errors": [said]} if field == "errors" else {field: said}
        if field == "field_errors":
            body = {"field_errors": [{"field": "x" * offset, "message": key}]}
        text = error_text(json.dumps(body).encode(), redactor=Redactor([key]))
        assert len(text) <= 300
        assert_no_fragment(text, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
def test_the_key_in_json_escapes_is_redacted_too(key: str) -> None:
    escaped = "".join(f"\\u{ord(char):04x}" for char in key)
    body = ('{"error": "' + "y" * 290 + escaped + '"}').encode()
    assert_no_fragment(error_text(body, redactor=Redactor([key])), key)


def test_a_partial_echo_of_the_key_is_masked_in_server_text() -> None:
    key = ECHOED_KEYS[0]
    for cut in range(8, len(key)):
        said = server_text(f"bad key {key[:cut]} / {key[-cut:]}", Redactor([key]))
        assert_no_fragment(said, key)
        assert said == "bad key *** / ***"
    assert server_text("no key here", Redactor([key])) == "no key here"


class ScriptedAdapter(requests.adapters.BaseAdapter):
    """Answers with exactly the status line, headers and body given: what `responses` cannot fake."""

    def __init__(self, *replies: tuple[int, str, dict[str, str], bytes]) -> None:
        super().__init__()
        self.replies = list(replies)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **_kwargs: object) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        status, reason, headers, body = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        response = requests.Response()
        response.status_code, response.reason, response.request = status, reason, request
        response.url = request.url or ""
        response.headers = requests.structures.CaseInsensitiveDict(headers)
        response.raw = io.BytesIO(body)
        return response

    def close(self) -> None:
        pass


def scripted(clock: FakeClock, key: str, adapter: ScriptedAdapter, timeout: float = 600) -> PlaydashClient:
    client = PlaydashClient(ROOT, key, Deadline(timeout, clock=clock), sleep=clock.sleep, rng=random.Random(1))
    client.transport.session.mount("https://", adapter)
    return client


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("offset", [0, 40, 90, 95, 99, 100, 110])
def test_a_reason_phrase_echoing_the_key_is_redacted(clock: FakeClock, key: str, offset: int) -> None:
    reason = "r" * offset + key + " busy"
    adapter = ScriptedAdapter((503, reason, {}, b""))
    messages: list[str] = []
    client = scripted(clock, key, adapter, timeout=5)
    client.debug = client.transport.debug = messages.append  # what each says, before the console's redaction
    with pytest.raises(ApiUnavailableError) as caught:
        client.get_run("pdqmxlz", "kftwnab")
    assert_no_fragment(caught.value.message + "\n".join(messages), key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("offset", [0, 30, 55, 59, 60, 70])
def test_a_content_type_echoing_the_key_is_redacted(clock: FakeClock, key: str, offset: int) -> None:
    adapter = ScriptedAdapter((200, "OK", {"Content-Type": "text/" + "c" * offset + key + "; charset=x"}, b"<html>"))
    with pytest.raises(ApiUnavailableError) as caught:
        scripted(clock, key, adapter, timeout=5).get_run("pdqmxlz", "kftwnab")
    assert "not JSON" in caught.value.message
    assert_no_fragment(caught.value.message, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
def test_every_string_of_an_answer_is_redacted_before_the_callers_see_it(clock: FakeClock, key: str) -> None:
    answer = {
        "status": key,
        "commit_name": "x" * 295 + key,
        key: [{"title": f"{key}{key}", "deep": [[[key]]]}],
    }
    adapter = ScriptedAdapter((200, "OK", {"Content-Type": "application/json"}, json.dumps(answer).encode()))
    got = scripted(clock, key, adapter).get_run("pdqmxlz", "kftwnab")
    assert_no_fragment(json.dumps(got), key)
    assert got["commit_name"] == "x" * 295 + "***"


# -- a host name that never resolved is a typo, not an outage (class 10) ----------------------------------------


def unresolved(message: str = "Name or service not known", errno: int = socket.EAI_NONAME) -> requests.ConnectionError:
    """What requests raises when the name does not resolve: the gaierror deep in urllib3's chain."""
    cause = socket.gaierror(errno, message)
    reason = urllib3.exceptions.NameResolutionError("acme-typo.neetoplaydash.com", None, cause)  # type: ignore[arg-type]
    reason.__cause__ = cause
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        unresolved(),
        unresolved("Temporary failure in name resolution", socket.EAI_AGAIN),
        unresolved("nodename nor servname provided, or not known", 8),
        requests.ConnectionError("Failed to resolve 'x' ([Errno -2] Name or service not known)"),
        requests.ConnectionError(socket.gaierror(-5, "No address associated with hostname")),
    ],
)
def test_name_resolution_failures_are_recognised(error: Exception) -> None:
    assert is_name_resolution_failure(error)


@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("Connection refused"),
        requests.ConnectionError(ConnectionResetError("Connection reset by peer")),
        requests.exceptions.ProxyError(unresolved()),
    ],
)
def test_other_network_failures_are_not_name_resolution(error: Exception) -> None:
    assert not is_name_resolution_failure(error)


@responses.activate
@pytest.mark.parametrize("message", ["Name or service not known", "Temporary failure in name resolution"])
def test_a_host_that_never_resolved_gives_up_soon_as_a_set_up_error(clock: FakeClock, message: str) -> None:
    responses.get(RUN, body=unresolved(message))
    client = make(clock, timeout=1800)
    with pytest.raises(SetupError) as caught:
        client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made == 3
    assert sum(clock.sleeps) < 60
    text = caught.value.message
    assert "acme.neetoplaydash.com" in text and message in text
    assert all(name in text for name in ("--subdomain", "PLAYDASH_SUBDOMAIN", "--base-url", "PLAYDASH_BASE_URL"))


@responses.activate
def test_a_host_that_never_resolved_gives_up_after_a_minute_at_most(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_UNRESOLVED_ATTEMPTS", 1000)
    responses.get(RUN, body=unresolved())
    client = make(clock, timeout=1800)
    with pytest.raises(SetupError, match="could not be resolved"):
        client.get_run("pdqmxlz", "kftwnab")
    assert MAX_UNRESOLVED_SECONDS <= sum(clock.sleeps) < MAX_UNRESOLVED_SECONDS + 31


@responses.activate
def test_a_host_that_resolved_before_stays_a_transient_fault(clock: FakeClock) -> None:
    responses.get(RUN, json={**OK, "is_running": True})
    for _ in range(6):
        responses.get(RUN, body=unresolved())
    responses.get(RUN, json=OK)
    client = make(clock, timeout=1800)
    assert client.get_run("pdqmxlz", "kftwnab")["is_running"] is True
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    assert client.requests_made == 8


@responses.activate
def test_a_host_that_resolved_before_and_then_never_again_ends_at_the_deadline(clock: FakeClock) -> None:
    responses.get(RUN, status=503)
    responses.get(RUN, body=unresolved())
    client = make(clock, timeout=120)
    with pytest.raises(ApiUnavailableError, match="stayed unavailable until the deadline"):
        client.get_run("pdqmxlz", "kftwnab")
    assert client.requests_made > 3


# -- the key goes to the origin only, whatever the session would do --------------------------------------------


@responses.activate
def test_the_session_never_follows_a_redirect_itself(clock: FakeClock) -> None:
    responses.get(RUN, status=302, headers={"Location": "https://evil.example.com/x"})
    evil = responses.get("https://evil.example.com/x", json=OK)
    client = make(clock)
    client.transport.session.max_redirects = 30
    with pytest.raises(SetupError, match="--base-url"):
        client.get_run("pdqmxlz", "kftwnab")
    assert evil.call_count == 0
    assert [call.request.req_kwargs.get("allow_redirects") for call in responses.calls] == [None]


def test_an_api_root_whose_host_is_in_doubt_is_refused(clock: FakeClock) -> None:
    for root in ("https://evil.example\\@acme.neetoplaydash.com/api", "https://u:p@acme.neetoplaydash.com/api"):
        with pytest.raises(SetupError, match="--base-url"):
            PlaydashClient(root, API_KEY, Deadline(10, clock=clock))


# -- through the real CLI: the key echoed by the server reaches no report, whole or in part (class 4) -----------


def gate_with_key(tmp_path: Path, key: str, handler: Handler, timeout: str = "10s", clock: Clock = REAL) -> GateResult:
    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_API_KEY": key}, timeout=timeout, clock=clock)
    assert "Traceback" not in result.everything
    return result


def assert_key_nowhere(result: GateResult, key: str) -> None:
    everything = result.everything.replace(f"::add-mask::{key}", "")
    assert_no_fragment(everything, key)


def straddling(key: str) -> list[int]:
    """Offsets at which the key starts and is cut by a 300-character limit, and a few either side."""
    return list(range(300 - len(key) - 2, 303))


@pytest.mark.parametrize(
    ("key", "offset"),
    [(ECHOED_KEYS[0], offset) for offset in straddling(ECHOED_KEYS[0])]
    + [(key, offset) for key in ECHOED_KEYS[1:] for offset in straddling(key)[::4]],
)
def test_a_refusal_echoing_the_key_across_the_cut_leaks_no_part_of_it(tmp_path: Path, key: str, offset: int) -> None:
    body = {"error": "x" * offset + key + " is not a valid API key"}
    result = gate_with_key(tmp_path, key, lambda _request: Reply(401, body))
    assert result.code == 2
    assert "the API said: " in result.verdict["message"]
    assert_key_nowhere(result, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_every_neeto_error_field_echoing_the_key_leaks_nothing(tmp_path: Path, key: str, status: int) -> None:
    body = {
        "notice": "n" * 150 + key,
        "errors": ["e" * 120 + key, key],
        "field_errors": [{"field": key, "message": "m" * 130 + key}],
        "error": "\u202e" + key,
    }
    result = gate_with_key(tmp_path, key, lambda _request: Reply(status, body))
    assert result.code == 2
    assert_key_nowhere(result, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("offset", [0, 38, 58])
def test_a_content_type_echoing_the_key_leaks_nothing(tmp_path: Path, key: str, offset: int, simulated: Clock) -> None:
    headers = {"Content-Type": "text/" + "c" * offset + key + "; charset=utf-8"}
    # Retried to the deadline in simulated time: every answer is looked at, however loaded the machine.
    result = gate_with_key(
        tmp_path, key, lambda _request: Reply(200, "<html>", headers=dict(headers)), "1s", clock=simulated
    )
    assert result.code == 3
    assert "not JSON" in result.verdict["message"]
    assert_key_nowhere(result, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
@pytest.mark.parametrize("offset", [0, 5, 35, 38, 40, 290, 295, 299, 300])
def test_an_answer_echoing_the_key_in_any_field_leaks_nothing(tmp_path: Path, key: str, offset: int) -> None:
    pad = "p" * offset

    def handler(request: Request) -> Reply:
        failed = [spec(pad + key + ".spec.ts", (pad + key, "failed"), (key, "flaky"))]
        return Reply(
            200,
            run_body(
                status="failed",
                counts={"passed": 3, "failed": 1, "flaky": 1},
                specs=failed if request.query.get("status") else [],
                commit_name=pad + key,
                commit_id=key,
                branch=pad + key,
                author=key + pad,
                tags=[pad + key, key],
                ci_build_id=key,
            ),
        )

    result = gate_with_key(tmp_path, key, handler)
    assert result.code == 1, result.everything
    assert_key_nowhere(result, key)


@pytest.mark.parametrize("key", ECHOED_KEYS)
def test_an_unknown_status_echoing_the_key_leaks_nothing(tmp_path: Path, key: str) -> None:
    result = gate_with_key(tmp_path, key, lambda _request: Reply(200, run_body(status=key + "x" * 50)))
    assert result.code in (1, 3)
    assert_key_nowhere(result, key)
