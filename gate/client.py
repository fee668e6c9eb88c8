"""PlaydashClient: the HTTP side of the gate, with timeouts on every call and retries of transient faults.

Where a request may go is `gate.redirects`; how an answer is read is `gate.answers`.
"""

from __future__ import annotations

import math
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3.exceptions

from gate.answers import (
    RETRY_AFTER_CAP,
    TransientFault,
    error_text,
    network_reason,
    parse_retry_after,
    read_answer,
)
from gate.backoff import exponential
from gate.bounded import HISTORY_ANSWER, RUN_ANSWER, Limit
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError
from gate.model import parse_run_list
from gate.plural import plural
from gate.redact import Redactor
from gate.redirects import (
    DEFAULT_PORTS,
    MAX_REDIRECTS,
    Origin,
    UnfollowableUrl,
    api_origin,
    check_destination,
    connection_origin,
    prepared_url,
    redirect_target,
)

if TYPE_CHECKING:
    from tenacity import RetryCallState

# The names other modules and tests import from here, wherever they now live.
__all__ = [
    "DEFAULT_PORTS",
    "MAX_UNRESOLVED_SECONDS",
    "RETRY_AFTER_CAP",
    "Origin",
    "PlaydashClient",
    "TransientFault",
    "UnfollowableUrl",
    "attempt_timeout",
    "connection_origin",
    "error_text",
    "is_name_resolution_failure",
    "parse_retry_after",
    "prepared_url",
    "redirect_target",
]

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# Each attempt may take at most this share of the time left, so that a stalled answer leaves room to retry...
ATTEMPT_SHARE_OF_REMAINING = 1 / 3
# ...but no less than this (a real answer needs a moment), unless the deadline itself is nearer.
MIN_ATTEMPT_TIMEOUT = 2.0
# Below this, a request could not even be sent and answered: treat the deadline as reached.
MIN_REQUEST_SECONDS = 0.05
# How long past the deadline an attempt may run before it is abandoned.
DEADLINE_GRACE = 0.25
# The jitter of the backoff between retries: it only ever shortens a wait, by up to a quarter.
RETRY_JITTER = (0.75, 1.0)
# A host name that has never resolved during this gate is a typo, not an outage: give up after this many
# consecutive failures to resolve it, or this long after the first, whichever comes first.
MAX_UNRESOLVED_ATTEMPTS = 3
MAX_UNRESOLVED_SECONDS = 60.0
_RESOLUTION_MARKERS = ("name or service not known", "temporary failure in name resolution", "nodename nor servname")


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


def _asked_wait(seconds: float) -> str:
    """A Retry-After wait for a message: in seconds, or in words when absurd (never `infs` nor 400 digits)."""
    if not math.isfinite(seconds) or seconds >= RETRY_AFTER_CAP:
        return "for centuries"  # RETRY_AFTER_CAP is over 300 years
    return f"{seconds:.0f}s"


# Attempts at one test's result histories: a history API that is down makes the test unknown, soon.
HISTORY_ATTEMPTS = 3


@dataclass(frozen=True)
class Reading:
    """How one call's answer is read: its bounds, and what it is turned into as it is read."""

    limit: Limit
    convert: Callable[[Any], Any] | None


class NoTimeToSend(TransientFault):
    """The deadline left no time for another request: the end of the retries, not a fault of the API's."""


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
        self.origin = api_origin(self.api_root)
        self.deadline = deadline
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        said = debug or (lambda _message: None)
        self.debug: Callable[[str], None] = lambda message: said(self.redactor.text(message))
        self.session = session or requests.Session()
        if urlsplit(self.api_root).scheme == "http":
            # Plain http reaches only loopback (the settings refuse any other host): a proxy from the
            # environment would reach its own loopback, not this machine's, and see the key go by.
            self.session.trust_env = False
        self.session.headers.update({"X-Api-Key": api_key, "Accept": "application/json", "User-Agent": user_agent})
        self.requests_made = 0
        self._lock = threading.Lock()
        # Whether the API's host name has resolved during this gate, and how often (and since when) it has not.
        self._host_resolved = False
        self._unresolved = 0
        self._first_unresolved: float | None = None

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def get_run(
        self, project_id: str, run_id: str, *, convert: Callable[[Any], Any] | None = None, **params: str | int
    ) -> Any:
        """`GET /projects/{project_id}/runs/{run_id}` with optional status/page/page_size, as JSON (or as
        `convert` makes it, while the answer is read: see `get_json`)."""
        path = f"/projects/{quote(project_id, safe='')}/runs/{quote(run_id, safe='')}"
        return self.get_json(path, params, convert=convert)

    def result_histories(
        self,
        project_id: str,
        run_id: str,
        test_id: str,
        *,
        days: int,
        anchor: str,
        convert: Callable[[Any], Any] | None = None,
    ) -> Any:
        """`GET .../runs/{run_id}/test_entities/{test_id}/result_histories` for a window of `days` ending at
        `anchor`, as JSON or `convert`ed (retries, redirects and redaction as for Get run; its own bounds)."""
        path = (
            f"/projects/{quote(project_id, safe='')}/runs/{quote(run_id, safe='')}"
            f"/test_entities/{quote(test_id, safe='')}/result_histories"
        )
        # A lookup that keeps failing can only ever make a test unknown: a few attempts, not the whole deadline.
        return self.get_json(
            path,
            {"days": days, "result_history_started_at": anchor},
            attempts=HISTORY_ATTEMPTS,
            limit=HISTORY_ANSWER,
            convert=convert,
        )

    def list_runs(self, project_id: str, page: int, page_size: int = 100) -> tuple[list[Mapping[str, Any]], int]:
        """One page of List runs, newest first, as (runs, total_pages) (see `gate.model.parse_run_list`)."""
        # Both spellings of the page: NeetoPlaydash's pagination page says `page_number`, its Get run page `page`.
        query = {"page": page, "page_number": page, "page_size": page_size}
        return parse_run_list(self.get_json(f"/projects/{quote(project_id, safe='')}/runs", query), page)

    def get_json(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        attempts: int | None = None,
        limit: Limit = RUN_ANSWER,
        convert: Callable[[Any], Any] | None = None,
    ) -> Any:
        """GET a path under the API root; transient faults are retried with backoff until the deadline (or
        until `attempts` were made). The answer is read within `limit`; `convert` (a parser of the model)
        turns it into what is kept while it is read, so that the answer's values never outlive it.

        The first attempt is made before tenacity is loaded: most requests need no retry, and a gate on
        a finished run then pays nothing for the machinery. A first attempt that fails is handed to
        tenacity as its own first attempt, so the waits and the count of attempts are the same.
        """
        query = dict(params or {})
        reading = Reading(limit, convert)
        try:
            return self._bounded_attempt(path, query, reading)
        except TransientFault as fault:
            failed_first: list[TransientFault] = [fault]
            # The API's own faults, the last one kept for the message: not the deadline's refusal to send.
            answered: list[TransientFault] = [fault] if not isinstance(fault, NoTimeToSend) else []
        from tenacity import Retrying, retry_if_exception_type  # noqa: PLC0415 - only once a retry is needed

        def attempt() -> Any:
            if failed_first:
                raise failed_first.pop()
            try:
                return self._bounded_attempt(path, query, reading)
            except NoTimeToSend:
                raise
            except TransientFault as fault:
                answered[:] = [fault]
                raise

        retrying = Retrying(
            retry=retry_if_exception_type(TransientFault),
            wait=self._wait,
            stop=lambda state: self._stop(state) or (attempts is not None and state.attempt_number >= attempts),
            sleep=self.sleep,
            before_sleep=self._log_retry,
            retry_error_callback=lambda state: self._give_up(state, answered[-1] if answered else None),
        )
        return retrying(attempt)

    # -- tenacity strategies ------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        """A server's Retry-After when it gives one (it knows best), else exponential backoff with jitter."""
        fault = state.outcome.exception() if state.outcome else None
        retry_after = fault.retry_after if isinstance(fault, TransientFault) else None
        backoff = exponential(state.attempt_number, self.backoff_initial, self.backoff_max, self.rng, RETRY_JITTER)
        if retry_after:
            # As asked, plus a little jitter so that gates told the same second do not return together; never
            # less than the backoff (a wish of 0.001 s is no reason for a storm of requests).
            return max(retry_after + self.rng.uniform(0.0, min(1.0, retry_after * 0.1)), backoff)
        return backoff

    def _stop(self, state: RetryCallState) -> bool:
        return state.upcoming_sleep + MIN_REQUEST_SECONDS >= self.deadline.remaining()

    def _log_retry(self, state: RetryCallState) -> None:
        fault = state.outcome.exception() if state.outcome else None
        self.debug(f"transient fault ({fault}); retrying in {state.upcoming_sleep:.1f}s")

    def _give_up(self, state: RetryCallState, answered: TransientFault | None) -> Any:
        fault = state.outcome.exception() if state.outcome else None
        attempts = state.attempt_number
        if isinstance(fault, NoTimeToSend) and answered is not None:
            # What the API last did is what the user needs, not that the deadline then stopped a retry.
            fault = TransientFault(f"{answered.description}; then {fault.description}", answered.retry_after)
        if isinstance(fault, TransientFault) and (fault.retry_after or 0) >= self.deadline.remaining() > 0:
            asked = _asked_wait(fault.retry_after or 0)
            raise ApiUnavailableError(
                f"the API is unavailable: it asked the gate to wait {asked} (Retry-After), "
                f"beyond the deadline ({self.deadline.remaining():.0f}s left); last answer: {fault.description}. "
                "Try again later or raise --timeout"
            )
        raise ApiUnavailableError(
            f"the API stayed unavailable until the deadline ({plural(attempts, 'attempt')}; "
            f"last: {fault}). Check NeetoPlaydash's status and the network, or raise --timeout"
        )

    # -- one attempt --------------------------------------------------------------------------

    def _bounded_attempt(self, path: str, params: dict[str, str | int], reading: Reading) -> Any:
        """One attempt that cannot outlive the deadline, even against a server that trickles its answer.

        Socket timeouts bound each read, not the whole answer; so the attempt runs in a daemon thread
        and is abandoned (its connection closed) once the deadline has passed.
        """
        outcome: dict[str, Any] = {}

        def attempt() -> None:
            try:
                outcome["value"] = self._attempt(path, params, reading)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread as it is
                outcome["error"] = error

        worker = threading.Thread(target=attempt, name="request", daemon=True)
        worker.start()
        worker.join(timeout=self.deadline.remaining() + DEADLINE_GRACE)
        if worker.is_alive():
            raise TransientFault("the answer was still arriving when the deadline came")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def _attempt(self, path: str, params: dict[str, str | int], reading: Reading) -> Any:
        url = self.api_root + path
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(url, params)
            with response:
                if response.is_redirect:
                    # The next URL is decided here, as requests will send it, and only on this origin.
                    url = redirect_target(response.url, response.headers["Location"], self.origin, self.redactor)
                    params = {}
                    continue
                return read_answer(response, self.deadline, self.redactor, reading.limit, reading.convert)
        raise SetupError(f"the API redirected more than {MAX_REDIRECTS} times; check --base-url (PLAYDASH_BASE_URL)")

    def _send(self, url: str, params: dict[str, str | int]) -> requests.Response:
        remaining = self.deadline.remaining()
        if remaining < MIN_REQUEST_SECONDS:
            raise NoTimeToSend("the deadline came before the request could be sent")
        # One stalled answer must not take the whole deadline: each attempt leaves room for two more.
        wait = attempt_timeout(remaining)
        timeout = (min(CONNECT_TIMEOUT, wait), wait)
        prepared = self.session.prepare_request(requests.Request("GET", url, params=params))
        # The last word before the key leaves: the request goes to the API's origin or nowhere.
        check_destination(prepared.url or "", self.origin)
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
            raise TransientFault(f"no answer within {timeout[1]:.0f}s ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            if is_name_resolution_failure(exc):
                self._unresolved_host(network_reason(exc))
            raise TransientFault(f"connection failed ({network_reason(exc)})") from None
        except requests.RequestException as exc:
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
                f"the API's host name {self.origin.host} could not be resolved ({reason}; "
                f"{plural(failures, 'attempt')} over {since:.0f}s) and never has during this gate. Check the "
                "workspace: --subdomain (PLAYDASH_SUBDOMAIN, the action's `subdomain`) or --base-url "
                "(PLAYDASH_BASE_URL, `base-url`); if it is right, check the runner's DNS and network"
            )
