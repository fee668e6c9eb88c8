"""The HTTP client with `responses`: headers, retries and their waits, refusals, redirects, limits, deadline."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses

from gate import client as client_module
from gate.client import PlaydashClient, error_text, parse_retry_after
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from tests.conftest import API_KEY, FakeClock

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
    client = make(clock)
    assert client.get_run("pdqmxlz", "kftwnab") == OK
    assert client.transient_faults == 1


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
def test_a_body_past_the_limit_is_refused(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1000)
    responses.get(RUN, body=b'{"x": "' + b"a" * 5000 + b'"}', content_type="application/json")
    with pytest.raises(UnusableAnswerError, match="larger than"):
        make(clock).get_run("pdqmxlz", "kftwnab")


@responses.activate
def test_declared_length_past_the_limit_is_refused_before_reading(clock: FakeClock) -> None:
    responses.get(RUN, body=b"{}", headers={"Content-Length": str(10**12)}, auto_calculate_content_length=False)
    with pytest.raises(UnusableAnswerError, match="larger than 32 MiB"):
        make(clock).get_run("pdqmxlz", "kftwnab")


@responses.activate
def test_timeouts_are_set_on_every_request_and_capped_by_the_deadline(clock: FakeClock) -> None:
    responses.get(RUN, json=OK)
    make(clock, timeout=5).get_run("pdqmxlz", "kftwnab")
    assert responses.calls[0].request.req_kwargs["timeout"] == (5, 5)


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
