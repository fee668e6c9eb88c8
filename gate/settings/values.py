"""Raw values checked: durations, workspace addresses, run addresses."""

from __future__ import annotations

import ipaddress
import math
import re
from urllib.parse import urlsplit

from gate.errors import SetupError
from gate.settings.sources import API_SUFFIX, MAX_DURATION, quoted

# ASCII digits only (float() would also take `١` or `１`); spaces or tabs may follow a number or a unit.
_SECONDS = re.compile(r"(\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)[ \t]*(ms|h|m|s)[ \t]*", re.ASCII | re.IGNORECASE)
# The units from the largest down: each part's unit must come after the one before it, each at most once.
_UNITS = {"h": (0, 3600.0), "m": (1, 60.0), "s": (2, 1.0), "ms": (3, 0.001)}
# Far beyond any duration: longer text is refused before any parsing.
_MAX_DURATION_TEXT = 10_000


def _seconds(text: str) -> float:
    """A bare number of seconds, or parts with units from the largest down (`1h30m`, `2m 30s`); NaN if neither.

    Read part by part from left to right, so the time taken grows with the text and no more.
    """
    if _SECONDS.fullmatch(text):
        return float(text)
    total, position, last_rank = 0.0, 0, -1
    while position < len(text):
        part = _PART.match(text, position)
        if part is None:
            return math.nan
        rank, unit = _UNITS[part.group(2).lower()]
        if rank <= last_rank:  # out of order, or twice
            return math.nan
        total, position, last_rank = total + float(part.group(1)) * unit, part.end(), rank
    return total if text else math.nan


ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def parse_duration(raw: str, name: str) -> float:
    """`90`, `90s`, `1.5s`, `500ms`, `15m`, `1h`, `1h30m`, `2m30s` to seconds (above zero, at most 24 hours)."""
    seconds = _seconds(raw.strip(" \t\r\n")) if len(raw) <= _MAX_DURATION_TEXT else math.nan
    if not seconds > 0:  # also NaN: no match, or nothing but spaces
        raise SetupError(
            f"{name} must be a duration above zero such as 90, 90s, 1.5s, 15m, 1h or 1h30m, not {quoted(raw)}"
        )
    if seconds > MAX_DURATION:
        raise SetupError(f"{name} must be at most 24h (86400s), not {quoted(raw)}; give a duration such as 30m or 2h")
    return seconds


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(raw: str, name: str) -> tuple[str, str]:
    """A workspace address or API root to (api_root, workspace_url); https only, but for loopback."""
    parts = urlsplit(raw.strip())
    host = parts.hostname or ""
    problem = ""
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in raw.strip()):
        # Parsers disagree on these (requests ends a host at a backslash, urlsplit does not).
        problem = "must not hold a backslash, a space or a control character"
    elif parts.scheme not in ("http", "https") or not host:
        problem = "must be an address such as https://acme.neetoplaydash.com"
    elif len(host) > 253:
        problem = "has a host name longer than 253 characters, which no workspace has"
    elif parts.username or parts.password:
        problem = "must not hold a user name or password; the key goes in PLAYDASH_API_KEY"
    elif parts.query or parts.fragment:
        problem = "must not have a query (?...) or fragment (#...)"
    elif parts.scheme == "http" and not is_loopback(host):
        problem = (
            "must use https:// (plain http:// is allowed only for 127.0.0.1, localhost and ::1), "
            "since the key travels in a header"
        )
    # An address with a user name or password is never echoed: the password would reach every report.
    got = "the address is not shown, as it holds an @" if "@" in raw else f"got {quoted(raw)}"
    if problem:
        raise SetupError(f"{name} {problem}; {got}")
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise SetupError(f"{name} has a port that is not a number from 1 to 65535; {got}") from None
    netloc = f"[{host}]" if ":" in host else host
    path = parts.path.rstrip("/")
    workspace_path = path[: -len(API_SUFFIX)] if path.endswith(API_SUFFIX) else path
    workspace = f"{parts.scheme}://{netloc}{port}{workspace_path}"
    return workspace + API_SUFFIX, workspace


_RUN_PATH = re.compile(
    r"^(?P<prefix>.*?)/projects/(?P<project>[A-Za-z0-9_-]{1,64})/runs/(?P<run>[A-Za-z0-9_-]{1,64})/?$"
)


def parse_run_url(raw: str, name: str) -> tuple[tuple[str, str], str, str]:
    """A run's dashboard address to ((api_root, workspace_url), project_id, run_id); query and fragment ignored."""
    parts = urlsplit(raw.strip())
    match = _RUN_PATH.match(parts.path)
    if not match or not parts.netloc:
        raise SetupError(
            f"{name} must be a run's address ending in /projects/PROJECT_ID/runs/RUN_ID, not {quoted(raw)}"
        )
    workspace = parse_base_url(f"{parts.scheme}://{parts.netloc}{match.group('prefix')}", name)
    return workspace, match.group("project"), match.group("run")


def run_page(workspace_url: str, project_id: str, run_id: str) -> str:
    """A run's dashboard address."""
    return f"{workspace_url}/projects/{project_id}/runs/{run_id}"


def header_secret(raw: str, name: str, what: str) -> str:
    """A secret sent in an HTTP header (the API key, the GitHub token), without the whitespace around it;
    a SetupError naming where it came from (`name`), never showing it, unless it is visible ASCII only.

    Anything else would be refused by requests or http.client (a line break, a non-Latin-1 character: a
    traceback), or sent as something else than what was meant (a NUL, `é` as one Latin-1 byte, a space that
    splits `Bearer TOKEN`); no real key or token holds one.
    """
    value = raw.strip()
    for index, char in enumerate(value):
        if not "!" <= char <= "~":
            kind = (
                "whitespace"
                if char.isspace() and char not in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
                else "a line break"
                if char.isspace()
                else "a character outside ASCII"
                if char.isprintable()
                else "a control character"
            )
            raise SetupError(
                f"{name} holds {kind} (its character {index + 1}), which an HTTP header cannot carry as it is: "
                f"{what} is ASCII letters, digits and punctuation only. Copy it again (the value is not shown)"
            )
    return value
