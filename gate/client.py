"""PlaydashClient: the HTTP side of the gate, with timeouts on every call and retries of transient faults."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 3
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Below this, a request could not even be sent and answered: treat the deadline as reached.
MIN_REQUEST_SECONDS = 0.05
# How long past the deadline an attempt may run before it is abandoned.
DEADLINE_GRACE = 0.25


class TransientFault(Exception):
    """A fault worth retrying (network, 429, 5xx, a garbled answer); `retry_after` is the server's wish."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds or as an HTTP date, in seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # noqa: PLC0415 - only a 429 with a date needs it

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def error_text(body: bytes, limit: int = 300) -> str:
    """The message of a Neeto error body (`error`, `errors`, `notice`, `field_errors`), or ''."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts: list[str] = []
    for key in ("error", "notice"):
        if isinstance(data.get(key), str):
            parts.append(data[key])
    if isinstance(data.get("errors"), list):
        parts.extend(str(item) for item in data["errors"])
    if isinstance(data.get("field_errors"), list):
        parts.extend(
            f"{item.get('field')}: {item.get('message')}" for item in data["field_errors"] if isinstance(item, Mapping)
        )
    return " ".join("; ".join(parts).split())[:limit]


_REFUSED_HINTS = {
    400: "the API refused the request as malformed; check the project id and the run id",
    401: "the API key was refused; check the key's secret (PLAYDASH_API_KEY, or the action's `api-key`) and that "
    "it belongs to this workspace (base URL or subdomain)",
    403: "the API key is not allowed to read this project; check the key's workspace and permissions",
    404: "the project or run was not found; check the project id, the run id and the workspace (base URL or subdomain)",
    422: "the API refused the request's parameters; check the project id and the run id",
}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc.rsplit("@", 1)[-1]).lower()


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
        self.deadline = deadline
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.debug = debug or (lambda _message: None)
        self.session = session or requests.Session()
        self.session.headers.update({"X-Api-Key": api_key, "Accept": "application/json", "User-Agent": user_agent})
        self.requests_made = 0
        self.transient_faults = 0
        self._lock = threading.Lock()

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
            raise ApiUnavailableError(
                f"the API is unavailable: it asked the gate to wait {fault.retry_after:.0f}s (Retry-After), "
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
        origin = _origin(url)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(url, params)
            with response:
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("Location", ""))
                    if _origin(target) != origin:
                        raise SetupError(
                            f"the API at {origin[0]}://{origin[1]} redirected to another address "
                            f"({_origin(target)[0]}://{_origin(target)[1]}); the gate never sends the key to "
                            "another address. If that address is right, give it as --base-url"
                        )
                    url, params = target, {}
                    continue
                return self._read(response)
        raise SetupError(f"the API redirected more than {MAX_REDIRECTS} times; check --base-url")

    def _send(self, url: str, params: dict[str, str | int]) -> requests.Response:
        remaining = self.deadline.remaining()
        if remaining < MIN_REQUEST_SECONDS:
            raise TransientFault("the deadline came before the request could be sent")
        timeout = (min(CONNECT_TIMEOUT, remaining), min(READ_TIMEOUT, remaining))
        with self._lock:
            self.requests_made += 1
        started = time.monotonic()
        try:
            response = self.session.get(url, params=params, timeout=timeout, stream=True, allow_redirects=False)
        except requests.Timeout as exc:
            self._count_fault()
            raise TransientFault(f"no answer within {timeout[1]:.0f}s ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            self._count_fault()
            raise TransientFault(f"connection failed ({_reason(exc)})") from None
        except requests.RequestException as exc:
            self._count_fault()
            raise TransientFault(f"request failed ({type(exc).__name__})") from None
        query = f"?{urlencode(params)}" if params else ""
        took = time.monotonic() - started
        self.debug(f"GET {urlsplit(response.url).path}{query} -> {response.status_code} in {took:.2f}s")
        return response

    def _read(self, response: requests.Response) -> Any:
        status = response.status_code
        body = self._body(response)
        if status in RETRIED_STATUSES or 500 <= status < 600:
            self._count_fault()
            raise TransientFault(
                f"HTTP {status} {response.reason or ''}".strip(),
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if 400 <= status < 500:
            hint = _REFUSED_HINTS.get(status, "the API refused the request; check the flags naming the run")
            said = error_text(body)
            raise SetupError(f"HTTP {status}: {hint}" + (f" (the API said: {said})" if said else ""))
        if not 200 <= status < 300:
            raise UnusableAnswerError(f"the API answered HTTP {status}, which the gate cannot use")
        try:
            return json.loads(body)
        except ValueError:
            self._count_fault()
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise TransientFault(f"HTTP {status} but the body is not JSON ({kind}, {len(body)} bytes)") from None

    def _body(self, response: requests.Response) -> bytes:
        """Read the body in chunks, refusing one past MAX_BODY_BYTES and stopping at the deadline."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise UnusableAnswerError(_too_large(int(declared)))
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


def _too_large(size: int) -> str:
    return (
        f"the API's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB ({size:,} bytes or more); "
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
