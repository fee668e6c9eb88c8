"""The one way a request leaves the gate, for NeetoPlaydash and GitHub alike.

Prepared as requests sends it, checked to go to the API's origin and nowhere else (`gate.redirects`), sent
within the time left, its faults made the gate's own, redirects followed on that origin only, and its answer
read within the bounds of its kind (`gate.bounded`). Each API keeps what is its own: its headers, what a status
means, and its messages.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter

from gate.bounded import CHUNK, Limit, OutOfTime, read_chunks, too_large
from gate.deadline import Deadline
from gate.redact import Redactor
from gate.redirects import MAX_REDIRECTS, Origin, check_destination, redirect_target
from gate.retry import MIN_REQUEST_SECONDS, NoTimeToSend, TransientFault

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# Each attempt may take at most this share of the time left, so that a stalled answer leaves room to retry...
ATTEMPT_SHARE_OF_REMAINING = 1 / 3
# ...but no less than this (a real answer needs a moment), unless the deadline itself is nearer.
MIN_ATTEMPT_TIMEOUT = 2.0
_RESOLUTION_MARKERS = ("name or service not known", "temporary failure in name resolution", "nodename nor servname")
_NETWORK_REASONS = (
    "Connection refused",
    "Connection reset",
    "Name or service not known",
    "Temporary failure in name resolution",
    "nodename nor servname",
    "Remote end closed",
    "IncompleteRead",
    "timed out",
    "Connection aborted",
)


def attempt_timeout(remaining: float) -> float:
    """How long one attempt may wait for the server: a third of the time left, 2 s to 30 s, never past it."""
    return min(READ_TIMEOUT, remaining, max(MIN_ATTEMPT_TIMEOUT, remaining * ATTEMPT_SHARE_OF_REMAINING))


def is_name_resolution_failure(error: BaseException) -> bool:
    """Whether a network error comes from a host name that could not be resolved (not from a proxy)."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    found = False
    while stack and len(seen) < 64:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (requests.exceptions.ProxyError, urllib3.exceptions.ProxyError)):
            # The proxy's name, not the workspace's: the subdomain is not to blame.
            return False
        if isinstance(current, (socket.gaierror, urllib3.exceptions.NameResolutionError)) or any(
            marker in str(current).lower() for marker in _RESOLUTION_MARKERS
        ):
            found = True
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        stack.extend(item for item in linked if isinstance(item, BaseException))
    return found


def network_reason(exc: BaseException) -> str:
    """A short cause for a network error, without the URL (which urllib3 repeats at length)."""
    text = str(exc).lower()
    return next((marker for marker in _NETWORK_REASONS if marker.lower() in text), type(exc).__name__)


def link_to(header: str, rel: str) -> str | None:
    """The address a `Link` header gives for `rel` (as requests reads the header), or None."""
    for link in requests.utils.parse_header_links(header):
        if rel in link.get("rel", "").split() and link.get("url"):
            return link["url"]
    return None


class Unresolved(TransientFault):
    """A connection that failed because the host name did not resolve; `reason` is the resolver's word."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"connection failed ({reason})")
        self.reason = reason


class EndlessRedirects(Exception):
    """The API redirected more than MAX_REDIRECTS times."""


class Reply:
    """An answer whose body is not read yet: its status, reason and headers, and `read()`.

    Used as a context manager: the connection goes back to the pool (or is closed) once it is done with.
    """

    def __init__(self, response: requests.Response, limit: Limit, deadline: Deadline) -> None:
        self._response, self._limit, self._deadline = response, limit, deadline
        self.status: int = response.status_code
        self.reason: str = response.reason or ""
        self.headers: Mapping[str, str] = response.headers

    def read(self) -> bytearray:
        """The body, read in chunks within the limit (OverLimit past it) and stopping at the deadline."""
        declared = self.headers.get("Content-Length", "").strip()
        # Length first: int() of thousands of digits raises, and any such number is past the limit anyway.
        if re.fullmatch(r"[0-9]+", declared) and (len(declared) > 18 or int(declared) > self._limit.max_bytes):
            raise too_large(self._limit, None)
        try:
            return read_chunks(self._response.iter_content(chunk_size=CHUNK), self._limit, self._deadline)
        except OutOfTime:
            raise TransientFault("the deadline came while the answer was still arriving") from None
        except requests.RequestException as exc:
            raise TransientFault(f"the answer was cut short ({network_reason(exc)})") from None

    def __enter__(self) -> Reply:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._response.close()


class Transport:
    """One API's way out: its headers on every request, its origin the only destination, one deadline.

    `names` is (the secret, the setting of the address) as a refusal to send names them; `late` says that
    the deadline left no time to send; `debug` hears one line per request, redacted; `connections` is how many
    connections to the origin are kept for reuse (as many as requests in flight: no connection made per request).
    """

    def __init__(
        self,
        origin: Origin,
        headers: Mapping[str, str],
        deadline: Deadline,
        redactor: Redactor,
        *,
        names: tuple[str, str],
        late: str,
        debug: Callable[[str], None],
        connections: int = DEFAULT_POOLSIZE,
    ) -> None:
        self.origin, self.deadline, self.redactor = origin, deadline, redactor
        self.names, self.late = names, late
        self.debug = debug
        self.session = requests.Session()
        if origin.scheme == "http":
            # Plain http reaches only loopback (the settings refuse any other host): a proxy from the
            # environment would reach its own loopback, not this machine's, and see the secret go by.
            self.session.trust_env = False
        self.session.headers.update(headers)
        if connections > DEFAULT_POOLSIZE:
            for scheme in ("https://", "http://"):
                self.session.mount(scheme, HTTPAdapter(pool_maxsize=connections))
        self.requests_made = 0
        # Whether an answer has come: the host name has resolved, and a later failure to resolve it is a hiccup.
        self.reached = False
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        limit: Limit,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> Reply:
        """The answer to one request, redirects followed on this origin only (their address decided here, as
        requests will send it); its body is read with `Reply.read`, within `limit`.

        TransientFault for what is worth another attempt (NoTimeToSend once the deadline leaves no time to
        send, Unresolved for a host name that did not resolve); SetupError for a destination or a redirect
        off the origin; EndlessRedirects past MAX_REDIRECTS.
        """
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, params, json)
            if not response.is_redirect:
                return Reply(response, limit, self.deadline)
            with response:
                location = response.headers["Location"]
                url = redirect_target(response.url, location, self.origin, self.redactor, names=self.names)
            params = None  # the Location carries its own query
        raise EndlessRedirects(f"more than {MAX_REDIRECTS} redirects")

    def _send(self, method: str, url: str, params: Mapping[str, str | int] | None, json: Any) -> requests.Response:
        remaining = self.deadline.remaining()
        if remaining < MIN_REQUEST_SECONDS:
            raise NoTimeToSend(self.late)
        # One stalled answer must not take the whole deadline: each attempt leaves room for two more.
        wait = attempt_timeout(remaining)
        prepared = self.session.prepare_request(requests.Request(method, url, params=dict(params or {}), json=json))
        # The last word before the secret leaves: the request goes to the API's origin or nowhere.
        check_destination(prepared.url or "", self.origin, self.names)
        # As Session.request would: proxies, CA bundle and client certificate from the session and environment.
        settings = self.session.merge_environment_settings(prepared.url or "", {}, True, None, None)
        with self._lock:
            self.requests_made += 1
        started = self.deadline.elapsed()
        try:
            # Straight to the adapter: requests never follows (nor even reads) a redirect itself; `request`
            # follows one only after checking where it leads. (Session.send reads the Location even with
            # allow_redirects=False, and a Location it cannot decode would escape as a UnicodeDecodeError.)
            response = self.session.get_adapter(prepared.url or "").send(
                prepared,
                stream=True,
                timeout=(min(CONNECT_TIMEOUT, wait), wait),
                verify=True if settings["verify"] is None else settings["verify"],
                cert=settings["cert"],
                proxies=settings["proxies"],
            )
        except requests.Timeout as exc:
            raise TransientFault(f"no answer within {wait:.0f}s ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            if is_name_resolution_failure(exc):
                raise Unresolved(network_reason(exc)) from None
            raise TransientFault(f"connection failed ({network_reason(exc)})") from None
        except requests.RequestException as exc:
            raise TransientFault(f"request failed ({type(exc).__name__})") from None
        with self._lock:
            self.reached = True
        took = self.deadline.elapsed() - started
        sent = urlsplit(response.url or prepared.url or "")
        query = f"?{sent.query}" if sent.query else ""
        self.debug(self.redactor.text(f"{method} {sent.path}{query} -> {response.status_code} in {took:.2f}s"))
        return response
