"""Property: a redirect the client would follow leads where requests would really connect, and that is the origin.

Locations are built from a grammar of the URL pieces that make parsers disagree (odd-case schemes, backslashes,
userinfo, `@` in odd places, ports, loopback spellings, other hosts, control characters, non-ASCII). The check is
`redirect_target` itself (no network); the oracle is requests' own adapter deciding its connection pool.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from gate.client import NAMES
from gate.errors import SetupError
from gate.redact import Redactor
from gate.redirects import DEFAULT_PORTS, Origin, connection_origin, prepared_url, redirect_target
from tests.properties import examples

KEY = "pd_live_Qz7x.W-*k9_Vb"
CURRENTS = [
    "http://127.0.0.1:5000/api/external/v1/projects/pdqmxlz/runs/kftwnab?page=2",
    "https://acme.neetoplaydash.com/api/external/v1/projects/pdqmxlz/runs/kftwnab",
    "http://[::1]:8080/api/external/v1/projects/p/runs/r",
]

SCHEMES = ["", "http:", "https:", "HTTP:", "hTtPs:", "Https:", "ftp:", "javascript:", "http;", "h\ttp:"]
SLASHES = ["", "/", "//", "///", "\\\\", "/\\", "\\/", "\\", "//\\", "/ /"]
USERINFO = ["", "user@", "u:p@", "@", ":@", "127.0.0.1:5000@", "acme.neetoplaydash.com@", "a\\@", "%40", "a%40b@"]
HOSTS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "127.0.0.1.",
    "127.1",
    "0x7f000001",
    "acme.neetoplaydash.com",
    "ACME.NeetoPlaydash.com",
    "acme.neetoplaydash.com.evil.example",
    "evil.example",
    "xn--acm-bma.neetoplaydash.com",
    "acmé.neetoplaydash.com",
    "127.0.0.1%3A6000",
    "",
]
PORTS = ["", ":", ":5000", ":6000", ":80", ":443", ":8080", ":05000", ":+5000", ":5000\\", ":65536", ":0"]
PATH_PIECES = [
    "/",
    "/api/external/v1/x",
    "x",
    "..",
    "\\",
    "@",
    "#",
    "?",
    "#@evil.example",
    "?@evil.example",
    "\\@evil.example:6000",
    "%2F",
    "%5C",
    "%40",
    "\t",
    "\n",
    "\r",
    " ",
    "\x00",
    "\x7f",
    "\xa0",
    "é",
    "//evil.example",
    ":6000",
]

locations = st.one_of(
    st.builds(
        lambda scheme, slashes, user, host, port, path: scheme + slashes + user + host + port + "".join(path),
        st.sampled_from(SCHEMES),
        st.sampled_from(SLASHES),
        st.sampled_from(USERINFO),
        st.sampled_from(HOSTS),
        st.sampled_from(PORTS),
        st.lists(st.sampled_from(PATH_PIECES), max_size=4),
    ),
    # Pieces in any order: the grammar's slots are where URLs usually break, not the only places.
    st.lists(st.sampled_from(SCHEMES + SLASHES + USERINFO + HOSTS + PORTS + PATH_PIECES), max_size=8).map("".join),
)

SESSION = requests.Session()


def connects_to(url: str) -> Origin:
    """Where requests would open its connection for `url`, asked of its own adapter (the pool it picks)."""
    prepared = SESSION.prepare_request(requests.Request("GET", url))
    assert prepared.url == url, "the URL the client checked is not the URL requests sends"
    adapter = SESSION.get_adapter(prepared.url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    host_params, _ = adapter.build_connection_pool_key_attributes(prepared, True)
    scheme = host_params["scheme"]
    return Origin(scheme, str(host_params["host"]).lower(), host_params["port"] or DEFAULT_PORTS[scheme])


def decision(current: str, location: str, origin: Origin) -> str | SetupError:
    """The URL the client would follow, or its refusal."""
    try:
        return redirect_target(current, location, origin, Redactor([KEY]), names=NAMES)
    except SetupError as refused:
        return refused


@pytest.mark.parametrize("current", CURRENTS)
@settings(max_examples=examples(100))
@given(location=locations)
def test_a_followed_redirect_connects_only_to_the_origin(current: str, location: str) -> None:
    origin = connection_origin(prepared_url(current))
    followed = decision(current, location, origin)
    if isinstance(followed, SetupError):
        assert "--base-url" in followed.message
        assert not any(ord(char) < 32 or ord(char) == 127 for char in followed.message)
        return
    assert connects_to(followed) == origin
    # As urllib3 reads the URL requests prepares from the joined Location: the same origin, and no userinfo.
    parsed = parse_url(prepared_url(urljoin(current, location)))
    assert parsed.auth is None
    assert (parsed.scheme, (parsed.host or "").strip("[]"), parsed.port or DEFAULT_PORTS[origin.scheme]) == (
        origin.scheme,
        origin.host,
        origin.port,
    )
    assert "\\" not in location and not any(ord(char) <= 32 or ord(char) >= 127 for char in location)


@settings(max_examples=examples(100))
@given(path=st.lists(st.sampled_from(["a", "b", "/", "..", ".", "x-1", "%20", "?q=1", "#f", "@"]), min_size=1))
def test_a_plain_relative_path_is_always_followed_within_the_origin(path: list[str]) -> None:
    current = CURRENTS[0]
    # An absolute path (one slash: two would name a host) or a path relative to the current one.
    location = "/" + "".join(path).lstrip("/")
    origin = connection_origin(prepared_url(current))
    assert connects_to(redirect_target(current, location, origin, names=NAMES)) == origin


@pytest.mark.parametrize(
    ("current", "location"),
    [
        ("http://127.0.0.1:5000/a", "http://127.0.0.1:6000\\@127.0.0.1:5000/a"),
        ("https://acme.neetoplaydash.com/a", "https://evil.example\\@acme.neetoplaydash.com/a"),
        ("https://acme.neetoplaydash.com/a", "http://acme.neetoplaydash.com/a"),
        ("https://acme.neetoplaydash.com/a", "https://acme.neetoplaydash.com:443@evil.example/a"),
        ("https://acme.neetoplaydash.com/a", "//evil.example/a"),
        ("https://acme.neetoplaydash.com/a", "https://acme.neetoplaydash.com:80/a"),
        ("https://acme.neetoplaydash.com/a", "https://user@acme.neetoplaydash.com/a"),
        ("https://acme.neetoplaydash.com/a", "https://acme.neetoplaydash.com\t/a"),
        ("https://acme.neetoplaydash.com/a", ""),
    ],
)
def test_the_review_examples_are_refused(current: str, location: str) -> None:
    with pytest.raises(SetupError, match="--base-url"):
        redirect_target(current, location, connection_origin(prepared_url(current)), names=NAMES)


@pytest.mark.parametrize(
    "location",
    [
        "/api/x",
        "x",
        "HTTPS://ACME.neetoplaydash.com/x",
        "https://acme.neetoplaydash.com:443/x",
        "//acme.neetoplaydash.com/x",
    ],
)
def test_the_same_origin_in_any_spelling_is_followed(location: str) -> None:
    current = "https://acme.neetoplaydash.com/api/external/v1/projects/p/runs/r"
    origin = connection_origin(prepared_url(current))
    assert connects_to(redirect_target(current, location, origin, names=NAMES)) == origin


def test_a_refusal_never_shows_the_key_or_a_password() -> None:
    current = "https://acme.neetoplaydash.com/a"
    origin = connection_origin(prepared_url(current))
    for location in (f"https://evil.example/?k={KEY}", f"https://u:{KEY}@evil.example/", f"https://x\\y/{KEY}\t"):
        with pytest.raises(SetupError) as refused:
            redirect_target(current, location, origin, Redactor([KEY]), names=NAMES)
        for start in range(len(KEY) - 7):
            assert KEY[start : start + 8] not in refused.value.message
