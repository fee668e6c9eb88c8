"""Class 1, redirects: the real CLI against an API that redirects elsewhere, in every spelling that fools a parser.

ORIGIN answers the run with a redirect; OTHER, a second server, would answer any request with a passing run.
Whatever the spelling, OTHER must never be asked anything (so never sees the key), the gate must never pass,
and the refusal is a set-up error naming --base-url.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import responses

from tests.acceptance.adversarial.hostile import (
    API,
    API_KEY,
    RUN_PATH,
    HostileServer,
    Reply,
    Request,
    hostile,
    run_body,
    run_gate,
)

# Each spelling is a template: {o} is ORIGIN's port, {p} OTHER's, {run} the run's path.
OTHER_SPELLINGS = {
    "backslash-before-at": "http://127.0.0.1:{p}\\@127.0.0.1:{o}{run}",
    "two-backslashes-before-at": "http://127.0.0.1:{p}\\\\@127.0.0.1:{o}{run}",
    "backslash-as-slash": "http://127.0.0.1:{p}\\{run}",
    "backslash-scheme-relative": "\\\\127.0.0.1:{p}{run}",
    "slash-backslash": "/\\127.0.0.1:{p}{run}",
    "encoded-backslash-before-at": "http://127.0.0.1:{p}%5C@127.0.0.1:{o}{run}",
    "userinfo-origin-looking": "http://127.0.0.1:{o}@127.0.0.1:{p}{run}",
    "userinfo-user-password": "http://user:secret@127.0.0.1:{p}{run}",
    "userinfo-empty": "http://@127.0.0.1:{p}{run}",
    "userinfo-on-origin": "http://gate:x@127.0.0.1:{o}{run}",
    "two-ats": "http://a@127.0.0.1:{o}@127.0.0.1:{p}{run}",
    "encoded-at": "http://127.0.0.1:{o}%40127.0.0.1:{p}{run}",
    "scheme-relative": "//127.0.0.1:{p}{run}",
    "uppercase-scheme": "HTTP://127.0.0.1:{p}{run}",
    "mixed-case-scheme": "hTtP://127.0.0.1:{p}{run}",
    "fragment-hides-origin": "http://127.0.0.1:{p}#@127.0.0.1:{o}{run}",
    "query-hides-origin": "http://127.0.0.1:{p}?@127.0.0.1:{o}{run}",
    "tab-inside-host": "http://127.0.0.1:{p}\t{run}",
    "tab-before-host": "http://\t127.0.0.1:{p}{run}",
    "tab-in-scheme": "ht\ttp://127.0.0.1:{p}{run}",
    "newline-inside": "http://127.0.0.1:{p}\n{run}",
    "nbsp-after-host": "http://127.0.0.1:{p}\xa0{run}",
    "latin1-in-host": "http://127.0.0.1\xe9:{p}{run}",
    "default-port-80": "http://127.0.0.1:80{run}",
    "other-port": "http://127.0.0.1:{p}{run}",
    "leading-zero-port": "http://127.0.0.1:0{p}{run}",
    "ipv6-loopback-other-port": "http://[::1]:{p}{run}",
    "ipv6-loopback-origin-port": "http://[::1]:{o}{run}",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]:{o}{run}",
    "localhost-origin-port": "http://localhost:{o}{run}",
    "short-ipv4": "http://127.1:{o}{run}",
    "hex-ipv4": "http://0x7f000001:{o}{run}",
    "trailing-dot": "http://127.0.0.1.:{o}{run}",
    "percent-encoded-colon": "http://127.0.0.1%3A{p}{run}",
    "percent-encoded-host": "http://%31%32%37.0.0.1:{p}{run}",
    "upgrade-to-https": "https://127.0.0.1:{o}{run}",
    "https-other-port": "https://127.0.0.1:{p}{run}",
    "other-scheme": "ftp://127.0.0.1:{p}{run}",
    "key-in-location": "http://127.0.0.1:{p}{run}?key=" + API_KEY,
}

# Spellings that stay on ORIGIN (which then refuses the unknown path): followed, or refused, but OTHER untouched.
ORIGIN_SPELLINGS = {
    "scheme-colon-one-slash": "http:/127.0.0.1:{p}{run}",
    "scheme-colon-no-slash": "http:127.0.0.1:{p}{run}",
    "three-slashes": "///127.0.0.1:{p}{run}",
    "fragment-hides-other": "http://127.0.0.1:{o}#@127.0.0.1:{p}{run}",
    "query-hides-other": "http://127.0.0.1:{o}/?@127.0.0.1:{p}{run}",
    "at-in-path": "/@127.0.0.1:{p}{run}",
}


def passing_run(request: Request) -> Reply:
    return Reply(200, run_body())


@pytest.fixture
def other() -> Iterator[HostileServer]:
    """The address the key must never reach: it would say the run passed."""
    with hostile(passing_run) as server:
        yield server


def redirecting(template: str, other: HostileServer, status: int = 302) -> Callable[[Request], Reply]:
    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            location = template.format(o=request.port, p=other.port, run=RUN_PATH)
            return Reply(status, {"moved": True}, headers={"Location": location})
        return Reply(404, {"error": "Not found"})

    return handler


def assert_other_untouched_and_no_pass(result_code: int, other: HostileServer) -> None:
    assert other.requests == [], f"OTHER was asked {len(other.requests)} time(s); keys seen: {other.keys_seen()}"
    assert result_code != 0


def assert_no_key_fragment(text: str) -> None:
    text = text.replace(f"::add-mask::{API_KEY}", "")
    for start in range(len(API_KEY) - 7):
        assert API_KEY[start : start + 8] not in text, API_KEY[start : start + 8]


# Every spelling with a 302, and a few with every redirect status.
CASES = [(spelling, 302) for spelling in OTHER_SPELLINGS] + [
    (spelling, status)
    for spelling in ("backslash-before-at", "userinfo-origin-looking", "other-port")
    for status in (301, 303, 307, 308)
]


@pytest.mark.parametrize(("spelling", "status"), CASES, ids=[f"{spelling}-{status}" for spelling, status in CASES])
def test_a_redirect_off_the_origin_is_refused_and_other_never_asked(
    tmp_path: Path, other: HostileServer, spelling: str, status: int
) -> None:
    with hostile(redirecting(OTHER_SPELLINGS[spelling], other, status)) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert_other_untouched_and_no_pass(result.code, other)
    assert result.code == 2, result.everything
    assert result.verdict["verdict"] == "error"
    assert "--base-url" in result.stderr + result.stdout
    assert "redirected" in result.verdict["message"]
    assert "Traceback" not in result.everything
    assert_no_key_fragment(result.everything)


@pytest.mark.parametrize("spelling", list(ORIGIN_SPELLINGS), ids=str)
def test_a_location_that_resolves_on_the_origin_never_reaches_other(
    tmp_path: Path, other: HostileServer, spelling: str
) -> None:
    with hostile(redirecting(ORIGIN_SPELLINGS[spelling], other)) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert_other_untouched_and_no_pass(result.code, other)
    # Followed to a path ORIGIN does not know (404), or refused outright: a set-up error either way.
    assert result.code == 2, result.everything
    assert all(request.port == origin.port for request in origin.requests)


def test_a_chain_that_starts_on_the_origin_and_then_leaves_is_refused(tmp_path: Path, other: HostileServer) -> None:
    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(301, b"", headers={"Location": RUN_PATH + "/"})
        if request.path == RUN_PATH + "/":
            return Reply(307, b"", headers={"Location": f"http://127.0.0.1:{other.port}\\@127.0.0.1:{request.port}/"})
        return Reply(404, {"error": "Not found"})

    with hostile(handler) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert_other_untouched_and_no_pass(result.code, other)
    assert result.code == 2
    assert [request.path for request in origin.requests] == [RUN_PATH, RUN_PATH + "/"]


def test_a_relative_redirect_within_the_origin_is_followed_to_a_verdict(tmp_path: Path) -> None:
    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(308, b"", headers={"Location": "kftwnab/"})
        if request.path == RUN_PATH + "/":
            return Reply(200, run_body())
        return Reply(404, {"error": "Not found"})

    with hostile(handler) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert result.code == 0, result.everything
    assert all(key == API_KEY for key in origin.keys_seen())


def test_an_absolute_redirect_to_the_same_origin_with_its_port_spelled_differently_is_followed(
    tmp_path: Path,
) -> None:
    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(302, b"", headers={"Location": f"HTTP://127.0.0.1:0{request.port}{RUN_PATH}/"})
        if request.path == RUN_PATH + "/":
            return Reply(200, run_body())
        return Reply(404, {"error": "Not found"})

    with hostile(handler) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert result.code == 0, result.everything


def test_endless_redirects_within_the_origin_end_in_a_set_up_error(tmp_path: Path) -> None:
    with hostile(lambda request: Reply(302, b"", headers={"Location": request.path + "x"})) as origin:
        result = run_gate(tmp_path, base_url=origin.url)
    assert result.code == 2
    assert "redirected more than" in result.verdict["message"]
    assert len(origin.requests) == 4


# -- https: the same tricks against an https workspace, through the real CLI with `responses` --------------------

HTTPS_ORIGIN = "https://acme.neetoplaydash.com"
HTTPS_RUN = HTTPS_ORIGIN + RUN_PATH
HTTPS_SPELLINGS = [
    "http://acme.neetoplaydash.com" + RUN_PATH,  # downgrade: the key would travel in clear
    "http://acme.neetoplaydash.com:443" + RUN_PATH,
    "https://evil.example\\@acme.neetoplaydash.com" + RUN_PATH,
    "https://evil.example:443\\@acme.neetoplaydash.com" + RUN_PATH,
    "https://acme.neetoplaydash.com@evil.example" + RUN_PATH,
    "https://acme.neetoplaydash.com:443@evil.example" + RUN_PATH,
    "https://acme.neetoplaydash.com.evil.example" + RUN_PATH,
    "https://acme.neetoplaydash.com:8443" + RUN_PATH,
    "https://ACME.neetoplaydash.com:80" + RUN_PATH,
    "//evil.example" + RUN_PATH,
    "https:\\\\evil.example" + RUN_PATH,
    "https://evil.example#@acme.neetoplaydash.com" + RUN_PATH,
    "https://evil.example?@acme.neetoplaydash.com" + RUN_PATH,
    "https://evil.example\t.acme.neetoplaydash.com" + RUN_PATH,
    "https://acme.neetoplaydash.com%2Eevil.example" + RUN_PATH,
    "https://[::1]" + RUN_PATH,
    "https://xn--acm-bma.neetoplaydash.com" + RUN_PATH,
]


@pytest.mark.parametrize("location", HTTPS_SPELLINGS)
def test_an_https_workspace_never_sends_its_key_off_its_origin(tmp_path: Path, location: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(HTTPS_RUN, status=302, headers={"Location": location})
        mocked.add_callback(responses.GET, re.compile(r".*"), callback=lambda _r: (200, {}, "{}"))
        result = run_gate(tmp_path, base_url=HTTPS_ORIGIN)
        sent = [call.request.url or "" for call in mocked.calls]
    assert result.code == 2, result.everything
    assert sent == [HTTPS_RUN]
    assert "--base-url" in result.verdict["message"]


def test_an_https_workspace_follows_its_own_default_port_spelled_out(tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(HTTPS_RUN, status=301, headers={"Location": f"HTTPS://acme.neetoplaydash.com:443{API}/x"})
        mocked.get(f"{HTTPS_ORIGIN}:443{API}/x", json=run_body())
        result = run_gate(tmp_path, base_url=HTTPS_ORIGIN)
    assert result.code == 0, result.everything
