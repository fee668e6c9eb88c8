"""PlaydashClient: the HTTP side of the gate, with timeouts on every call and retries of transient faults."""

from __future__ import annotations

import calendar
import json
import math
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
import urllib3.exceptions
from tenacity import RetryCallState, Retrying, retry_if_exception_type
from urllib3.util import parse_url

from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from gate.redact import Redactor

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# Each attempt may take at most this share of the time left, so that a stalled answer leaves room to retry...
ATTEMPT_SHARE_OF_REMAINING = 1 / 3
# ...but no less than this (a real answer needs a moment), unless the deadline itself is nearer.
MIN_ATTEMPT_TIMEOUT = 2.0
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 3
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Below this, a request could not even be sent and answered: treat the deadline as reached.
MIN_REQUEST_SECONDS = 0.05
# How long past the deadline an attempt may run before it is abandoned.
DEADLINE_GRACE = 0.25
# A Retry-After beyond this (or past year 9999, or too long to be a number) is "longer than any deadline";
# capping keeps it a finite number that arithmetic and messages can handle.
RETRY_AFTER_CAP = 10.0**10
# A host name that has never resolved during this gate is a typo, not an outage: give up after this many
# consecutive failures to resolve it, or this long after the first, whichever comes first.
MAX_UNRESOLVED_ATTEMPTS = 3
MAX_UNRESOLVED_SECONDS = 60.0
# Server text (an error body, a reason phrase, a header) is cut to this in messages, after redaction.
SERVER_TEXT_LIMIT = 300
# A run of this many characters of the key, echoed in part by a server, is masked too.
KEY_FRAGMENT = 8
DEFAULT_PORTS = {"http": 80, "https": 443}
_RESOLUTION_MARKERS = ("name or service not known", "temporary failure in name resolution", "nodename nor servname")
_DELAY_SECONDS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# What a Location may hold: visible ASCII only, and no backslash (which requests and urllib.parse read apart).
_LOCATION_SAFE = re.compile(r"[!-\[\]-~]*")
_USERINFO = re.compile(r"(//|\\\\)[^/?#]*@")


class TransientFault(Exception):
    """A fault worth retrying (network, 429, 5xx, a garbled answer); `retry_after` is the server's wish."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


class _UnusableNumber(ValueError):
    """A number in an answer that JSON allows but arithmetic does not (1e999, NaN, 5000 digits)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds or as an HTTP date, in seconds from now: finite and >= 0, or None if unreadable.

    Never raises: a number too large, or a date past year 9999, is capped at RETRY_AFTER_CAP (longer than
    any deadline); `inf`, `nan`, exponents and other spellings HTTP does not allow are unreadable (None).
    """
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        # Digits only, so float() cannot fail; past the float range it is inf, which the cap turns finite.
        return _finite_delay(float(value))
    import email.utils  # noqa: PLC0415 - only a 429 with a date needs it

    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    year, offset = parsed[0], parsed[9]
    if year > 9999:
        return RETRY_AFTER_CAP
    try:
        # calendar.timegm is plain arithmetic: no datetime, so no "year out of range" at the edges of 9999.
        when = calendar.timegm((*parsed[:6], 0, 1, 0)) - (offset or 0)
    except (TypeError, ValueError, OverflowError):
        return None
    return _finite_delay(when - (now or datetime.now(timezone.utc)).timestamp())


def _finite_delay(seconds: float) -> float | None:
    if math.isnan(seconds):
        return None
    return min(RETRY_AFTER_CAP, max(0.0, seconds))


def attempt_timeout(remaining: float) -> float:
    """How long one attempt may wait for the server: a third of the time left, 2 s to 30 s, never past it."""
    return min(READ_TIMEOUT, remaining, max(MIN_ATTEMPT_TIMEOUT, remaining * ATTEMPT_SHARE_OF_REMAINING))


def mask_fragments(text: str, secrets: list[str], length: int = KEY_FRAGMENT) -> str:
    """The text with every run of `length` or more characters of a secret replaced by `***`.

    For short server texts only: a server that echoes part of the key (cut, or with a prefix removed)
    would otherwise leak that part, which no redaction of the whole key can match.
    """
    for secret in secrets:
        if len(secret) < length or len(text) < length:
            continue
        pieces = {secret[start : start + length] for start in range(len(secret) - length + 1)}
        covered = [False] * len(text)
        for start in range(len(text) - length + 1):
            if text[start : start + length] in pieces:
                covered[start : start + length] = [True] * length
        if any(covered):
            out: list[str] = []
            for index, char in enumerate(text):
                if not covered[index]:
                    out.append(char)
                elif index == 0 or not covered[index - 1]:
                    out.append("***")
            text = "".join(out)
    return text


def _scalar(item: object) -> str | None:
    """A JSON scalar as text; None for a nested value (whose str() could recurse without end)."""
    if isinstance(item, str):
        return item
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return str(item)
    return None


def error_text(body: bytes, limit: int = SERVER_TEXT_LIMIT, redactor: Redactor | None = None) -> str:
    """The message of a Neeto error body (`error`, `errors`, `notice`, `field_errors`), redacted, or ''.

    Redaction comes before the cut: a key echoed across the cut would otherwise survive in part.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts: list[str] = []
    for key in ("error", "notice"):
        if isinstance(data.get(key), str):
            parts.append(data[key])
    if isinstance(data.get("errors"), list):
        parts.extend(text for text in map(_scalar, data["errors"]) if text is not None)
    if isinstance(data.get("field_errors"), list):
        parts.extend(
            f"{_scalar(item.get('field'))}: {_scalar(item.get('message'))}"
            for item in data["field_errors"]
            if isinstance(item, Mapping)
        )
    return server_text("; ".join(parts), redactor, limit)


def server_text(value: str | None, redactor: Redactor | None, limit: int = SERVER_TEXT_LIMIT) -> str:
    """Untrusted text for a message: redacted whole, whitespace folded, cut, then any key fragment masked."""
    if not value:
        return ""
    if redactor:
        value = redactor.text(value)
    value = " ".join(value.split())[:limit]
    if redactor:
        value = mask_fragments(value, redactor.secrets)
    return value


_REFUSED_HINTS = {
    400: "the API refused the request as malformed; check the project id and the run id",
    401: "the API key was refused; check the key's secret (PLAYDASH_API_KEY, or the action's `api-key`) and that "
    "it belongs to this workspace (base URL or subdomain)",
    403: "the API key is not allowed to read this project; check the key's workspace and permissions",
    404: "the project or run was not found; check the project id, the run id and the workspace (base URL or subdomain)",
    422: "the API refused the request's parameters; check the project id and the run id",
}


# -- where a request goes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where requests connects for a URL: scheme, host and port (the default port spelled out)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


class UnfollowableUrl(ValueError):
    """A URL whose destination is in doubt: no host, userinfo, or parsers that disagree on where it goes."""


def prepared_url(url: str, params: Mapping[str, str | int] | None = None) -> str:
    """The URL exactly as requests would send it (parsed by urllib3, IDNA-encoded, re-quoted)."""
    try:
        prepared = requests.Request("GET", url, params=dict(params or {})).prepare().url
    except (requests.RequestException, ValueError, urllib3.exceptions.LocationParseError) as exc:
        raise UnfollowableUrl(f"not an address requests can send ({type(exc).__name__})") from None
    if not prepared:
        raise UnfollowableUrl("not an address requests can send")
    return prepared


def connection_origin(url: str) -> Origin:
    """The origin requests would connect to for a *prepared* URL; UnfollowableUrl if in any doubt.

    requests' adapter picks the host with urllib.parse, and urllib3 parses the same URL its own way: both
    are asked, and a URL on which they disagree, or that carries a user name or password, is refused.
    """
    try:
        split = urlsplit(url)
        split_port = split.port
        parsed = parse_url(url)
    except (ValueError, urllib3.exceptions.LocationParseError) as exc:
        raise UnfollowableUrl(f"an address that cannot be parsed ({type(exc).__name__})") from None
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS or (parsed.scheme or "").lower() != scheme:
        raise UnfollowableUrl("an address that is not http:// or https://")
    if "@" in split.netloc or split.username is not None or parsed.auth is not None:
        raise UnfollowableUrl("an address with a user name or password in it")
    host = (split.hostname or "").lower()
    if not host or (parsed.host or "").lower().strip("[]") != host:
        raise UnfollowableUrl("an address whose host is in doubt")
    default = DEFAULT_PORTS[scheme]
    port = split_port if split_port is not None else default
    if (parsed.port if parsed.port is not None else default) != port:
        raise UnfollowableUrl("an address whose port is in doubt")
    return Origin(scheme, host, port)


def _location_problem(location: str) -> str:
    """Why a Location is refused before it is even parsed, or ''."""
    if not location:
        return "an empty Location"
    if "\\" in location:
        return "a Location with a backslash (read as a different host by different parsers)"
    if not _LOCATION_SAFE.fullmatch(location):
        return "a Location with whitespace, control characters or characters outside ASCII"
    return ""


def redirect_target(current: str, location: str, origin: Origin, redactor: Redactor | None = None) -> str:
    """The prepared URL to follow a redirect to; SetupError unless it stays on `origin` beyond any doubt."""
    advice = (
        "the gate did not follow it, since it sends the key to the API's own origin only. If the API has moved, "
        "give its new address as --base-url (PLAYDASH_BASE_URL)"
    )
    problem = _location_problem(location)
    if not problem:
        try:
            target_url = prepared_url(urljoin(current, location))
            target = connection_origin(target_url)
        except UnfollowableUrl as exc:
            problem = str(exc)
        else:
            if target == origin:
                return target_url
            raise SetupError(
                f"the API at {origin} redirected to another address ({server_text(str(target), redactor, 120)}); "
                + advice
            )
    # Shown escaped (control characters made visible), without the key or any user name and password.
    shown = _USERINFO.sub(r"\1***@", ascii(redactor.text(location) if redactor else location))
    shown = server_text(shown, redactor, 120)
    raise SetupError(f"the API at {origin} redirected to {problem} ({shown}); " + advice)


# -- name resolution --------------------------------------------------------------------------


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


class PlaydashClient:
    """Reads NeetoPlaydash's external API; every call respects one overall deadline."""

    def __init__(
        self,
        api_root: str,
        api_key: str,
        deadline: Deadline,
        *,
        user_agent: str = "playdash-gate",
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        debug: Callable[[str], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.api_root = api_root.rstrip("/")
        # Every text the server sends is redacted where it enters the gate, before any cut or escape.
        self.redactor = Redactor([api_key])
        try:
            if "\\" in self.api_root or any(char.isspace() or not char.isprintable() for char in self.api_root):
                raise UnfollowableUrl("a backslash, whitespace or a control character")
            self.origin = connection_origin(prepared_url(self.api_root))
        except UnfollowableUrl as exc:
            raise SetupError(f"the API address is not usable ({exc}); check --base-url (PLAYDASH_BASE_URL)") from None
        self.deadline = deadline
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        said = debug or (lambda _message: None)
        self.debug: Callable[[str], None] = lambda message: said(
            mask_fragments(self.redactor.text(message), self.redactor.secrets)
        )
        self.session = session or requests.Session()
        self.session.headers.update({"X-Api-Key": api_key, "Accept": "application/json", "User-Agent": user_agent})
        self.requests_made = 0
        self.transient_faults = 0
        self._lock = threading.Lock()
        # Whether the API's host name has resolved during this gate, and how often (and since when) it has not.
        self._host_resolved = False
        self._unresolved = 0
        self._first_unresolved: float | None = None

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def get_run(self, project_id: str, run_id: str, **params: str | int) -> Any:
        """`GET /projects/{project_id}/runs/{run_id}` with optional status/page/page_size, as JSON."""
        return self.get_json(f"/projects/{quote(project_id, safe='')}/runs/{quote(run_id, safe='')}", params)

    def list_runs(self, project_id: str, page: int, page_size: int = 100) -> tuple[list[Mapping[str, Any]], int]:
        """One page of List runs, newest first, as (runs, total_pages).

        The one place that holds what is *assumed* of List runs, since its body is not published:
        `{"runs": [<run objects like Get run's, without specs>], "pagination": {..., "total_pages"}}`,
        newest first. An answer of another shape is refused, never guessed at.
        """
        body = self.get_json(f"/projects/{quote(project_id, safe='')}/runs", {"page": page, "page_size": page_size})
        runs = body.get("runs") if isinstance(body, Mapping) else None
        if not isinstance(runs, list) or not all(isinstance(run, Mapping) for run in runs):
            raise UnusableAnswerError(
                "the List runs answer has no `runs` list of objects; the gate cannot find the run by its build id "
                "(name it with --run-id or --run-url instead)"
            )
        pagination = body.get("pagination")
        total = pagination.get("total_pages") if isinstance(pagination, Mapping) else None
        total_pages = total if isinstance(total, int) and not isinstance(total, bool) and total >= 1 else page
        return runs, total_pages

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET a path under the API root; transient faults are retried with backoff until the deadline."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientFault),
            wait=self._wait,
            stop=self._stop,
            sleep=self.sleep,
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
        )
        return retrying(self._bounded_attempt, path, dict(params or {}))

    # -- tenacity strategies ------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        """A server's Retry-After when it gives one (it knows best), else exponential backoff with jitter."""
        fault = state.outcome.exception() if state.outcome else None
        retry_after = fault.retry_after if isinstance(fault, TransientFault) else None
        if retry_after:
            # As asked, plus a little jitter so that gates told the same second do not return together.
            return retry_after + self.rng.uniform(0.0, min(1.0, retry_after * 0.1))
        exponent = min(state.attempt_number - 1, 30)
        backoff: float = min(self.backoff_max, self.backoff_initial * 2**exponent) * self.rng.uniform(0.75, 1.0)
        return backoff

    def _stop(self, state: RetryCallState) -> bool:
        return state.upcoming_sleep + MIN_REQUEST_SECONDS >= self.deadline.remaining()

    def _log_retry(self, state: RetryCallState) -> None:
        fault = state.outcome.exception() if state.outcome else None
        self.debug(f"transient fault ({fault}); retrying in {state.upcoming_sleep:.1f}s")

    def _give_up(self, state: RetryCallState) -> Any:
        fault = state.outcome.exception() if state.outcome else None
        attempts = state.attempt_number
        if isinstance(fault, TransientFault) and (fault.retry_after or 0) >= self.deadline.remaining() > 0:
            asked = fault.retry_after or 0
            wait = f"longer than {RETRY_AFTER_CAP:.0f}s" if asked >= RETRY_AFTER_CAP else f"{asked:.0f}s"
            raise ApiUnavailableError(
                f"the API is unavailable: it asked the gate to wait {wait} (Retry-After), "
                f"beyond the deadline ({self.deadline.remaining():.0f}s left); last answer: {fault.description}. "
                "Try again later or raise --timeout"
            )
        raise ApiUnavailableError(
            f"the API stayed unavailable until the deadline ({attempts} attempt{'s' if attempts != 1 else ''}; "
            f"last: {fault}). Check NeetoPlaydash's status and the network, or raise --timeout"
        )

    # -- one attempt --------------------------------------------------------------------------

    def _bounded_attempt(self, path: str, params: dict[str, str | int]) -> Any:
        """One attempt that cannot outlive the deadline, even against a server that trickles its answer.

        Socket timeouts bound each read, not the whole answer; so the attempt runs in a daemon thread
        and is abandoned (its connection closed) once the deadline has passed.
        """
        outcome: dict[str, Any] = {}

        def attempt() -> None:
            try:
                outcome["value"] = self._attempt(path, params)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread as it is
                outcome["error"] = error

        worker = threading.Thread(target=attempt, name="request", daemon=True)
        worker.start()
        worker.join(timeout=self.deadline.remaining() + DEADLINE_GRACE)
        if worker.is_alive():
            self._count_fault()
            raise TransientFault("the answer was still arriving when the deadline came")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def _attempt(self, path: str, params: dict[str, str | int]) -> Any:
        url = self.api_root + path
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(url, params)
            with response:
                if response.is_redirect:
                    # The next URL is decided here, as requests will send it, and only on this origin.
                    url = redirect_target(response.url, response.headers["Location"], self.origin, self.redactor)
                    params = {}
                    continue
                return self._read(response)
        raise SetupError(f"the API redirected more than {MAX_REDIRECTS} times; check --base-url (PLAYDASH_BASE_URL)")

    def _send(self, url: str, params: dict[str, str | int]) -> requests.Response:
        remaining = self.deadline.remaining()
        if remaining < MIN_REQUEST_SECONDS:
            raise TransientFault("the deadline came before the request could be sent")
        # One stalled answer must not take the whole deadline: each attempt leaves room for two more.
        wait = attempt_timeout(remaining)
        timeout = (min(CONNECT_TIMEOUT, wait), wait)
        prepared = self.session.prepare_request(requests.Request("GET", url, params=params))
        # The last word before the key leaves: the request goes to the API's origin or nowhere.
        try:
            destination = connection_origin(prepared.url or "")
        except UnfollowableUrl as exc:
            raise SetupError(
                f"the gate refused to send a request: {exc}; check --base-url (PLAYDASH_BASE_URL)"
            ) from None
        if destination != self.origin:
            raise SetupError(
                f"the gate refused to send the key to {destination}, which is not the API's origin ({self.origin}); "
                "check --base-url (PLAYDASH_BASE_URL)"
            )
        # As Session.request would: proxies, CA bundle and client certificate from the session and environment.
        settings = self.session.merge_environment_settings(prepared.url or "", {}, True, None, None)
        with self._lock:
            self.requests_made += 1
        started = time.monotonic()
        try:
            # Straight to the adapter: requests never follows (nor even reads) a redirect itself; _attempt
            # follows one only after checking where it leads. (Session.send reads the Location even with
            # allow_redirects=False, and a Location it cannot decode would escape as a UnicodeDecodeError.)
            adapter = self.session.get_adapter(prepared.url or "")
            response = adapter.send(
                prepared,
                stream=True,
                timeout=timeout,
                verify=True if settings["verify"] is None else settings["verify"],
                cert=settings["cert"],
                proxies=settings["proxies"],
            )
        except requests.Timeout as exc:
            self._count_fault()
            raise TransientFault(f"no answer within {timeout[1]:.0f}s ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            self._count_fault()
            if is_name_resolution_failure(exc):
                self._unresolved_host(_reason(exc))
            raise TransientFault(f"connection failed ({_reason(exc)})") from None
        except requests.RequestException as exc:
            self._count_fault()
            raise TransientFault(f"request failed ({type(exc).__name__})") from None
        with self._lock:
            self._host_resolved = True
        query = f"?{urlencode(params)}" if params else ""
        took = time.monotonic() - started
        self.debug(f"GET {urlsplit(response.url).path}{query} -> {response.status_code} in {took:.2f}s")
        return response

    def _unresolved_host(self, reason: str) -> None:
        """Count a failure to resolve the API's host name; a name that never resolved soon ends the gate.

        A name that resolved earlier in this gate is a DNS hiccup and stays transient; one that never
        did is almost surely a mistyped subdomain or address, which no wait until the deadline would fix.
        """
        with self._lock:
            if self._host_resolved:
                return
            self._unresolved += 1
            now = self.deadline.elapsed()
            if self._first_unresolved is None:
                self._first_unresolved = now
            failures, since = self._unresolved, now - self._first_unresolved
        if failures >= MAX_UNRESOLVED_ATTEMPTS or since >= MAX_UNRESOLVED_SECONDS:
            raise SetupError(
                f"the API's host name {self.origin.host} could not be resolved ({reason}; {failures} attempt"
                f"{'s' if failures != 1 else ''} over {since:.0f}s) and never has during this gate. Check the "
                "workspace: --subdomain (PLAYDASH_SUBDOMAIN, the action's `subdomain`) or --base-url "
                "(PLAYDASH_BASE_URL, `base-url`); if it is right, check the runner's DNS and network"
            )

    def _read(self, response: requests.Response) -> Any:
        status = response.status_code
        body = self._body(response)
        if status in RETRIED_STATUSES or 500 <= status < 600:
            self._count_fault()
            reason = server_text(response.reason, self.redactor, 100)
            raise TransientFault(
                f"HTTP {status} {reason}".strip(),
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if 400 <= status < 500:
            hint = _REFUSED_HINTS.get(status, "the API refused the request; check the flags naming the run")
            said = error_text(body, redactor=self.redactor)
            raise SetupError(f"HTTP {status}: {hint}" + (f" (the API said: {said})" if said else ""))
        if not 200 <= status < 300:
            raise UnusableAnswerError(f"the API answered HTTP {status}, which the gate cannot use")
        try:
            data = _loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Not JSON at all (a proxy's HTML page, an answer cut short): worth another attempt.
            self._count_fault()
            kind = server_text(response.headers.get("Content-Type", "no content type").split(";")[0], self.redactor, 60)
            raise TransientFault(f"HTTP {status} but the body is not JSON ({kind}, {len(body)} bytes)") from None
        except (_UnusableNumber, ValueError, RecursionError, OverflowError) as exc:
            # JSON the gate cannot hold (absurd numbers, absurd nesting): the same answer would come again.
            raise UnusableAnswerError(
                f"the API's answer cannot be used: {_unreadable(exc)}. The gate does not guess a verdict from it; "
                "retry later, and report it to NeetoPlaydash if it persists"
            ) from None
        return self.redactor.data(data)

    def _body(self, response: requests.Response) -> bytes:
        """Read the body in chunks, refusing one past MAX_BODY_BYTES and stopping at the deadline."""
        declared = response.headers.get("Content-Length", "").strip()
        # Length first: int() of thousands of digits raises, and any such number is past the limit anyway.
        if re.fullmatch(r"[0-9]+", declared) and (len(declared) > 18 or int(declared) > MAX_BODY_BYTES):
            raise UnusableAnswerError(_too_large(int(declared) if len(declared) <= 18 else None))
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise UnusableAnswerError(_too_large(size))
                chunks.append(chunk)
                if self.deadline.expired():
                    raise TransientFault("the deadline came while the answer was still arriving")
        except requests.RequestException as exc:
            self._count_fault()
            raise TransientFault(f"the answer was cut short ({_reason(exc)})") from None
        return b"".join(chunks)

    def _count_fault(self) -> None:
        with self._lock:
            self.transient_faults += 1


def _usable_int(text: str) -> int:
    try:
        value = int(text)
        float(value)  # counts end up in float arithmetic (rates, durations): it must survive it
    except (ValueError, OverflowError):
        raise _UnusableNumber(f"a number of {len(text.lstrip('-'))} digits") from None
    return value


def _usable_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _UnusableNumber(f"a number beyond the range of arithmetic ({text[:40]})")
    return value


def _no_constant(text: str) -> float:
    raise _UnusableNumber(f"`{text}`, which is not a JSON number")


def _loads(body: bytes) -> Any:
    """JSON, with every number one the gate can compute with (no NaN, no Infinity, no 1e999, no 5000 digits)."""
    return json.loads(body, parse_int=_usable_int, parse_float=_usable_float, parse_constant=_no_constant)


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to read"
    if isinstance(exc, _UnusableNumber):
        return f"it holds {exc}"
    return f"it could not be read ({type(exc).__name__})"


def _too_large(size: int | None) -> str:
    amount = f"{size:,} bytes or more" if size is not None else "by its declared length"
    return (
        f"the API's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB ({amount}); "
        "the gate refuses it rather than run out of memory"
    )


def _reason(exc: BaseException) -> str:
    """A short cause for a network error, without the URL (which urllib3 repeats at length)."""
    text = str(exc)
    for marker in (
        "Connection refused",
        "Connection reset",
        "Name or service not known",
        "Temporary failure in name resolution",
        "nodename nor servname",
        "Remote end closed",
        "IncompleteRead",
        "timed out",
        "Connection aborted",
    ):
        if marker.lower() in text.lower():
            return marker
    return type(exc).__name__
