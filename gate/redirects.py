"""Where a request may go: the API's origin, URLs as requests sends them, and redirects that stay on it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from urllib3.util import parse_url

from gate.errors import SetupError
from gate.redact import Redactor
from gate.text import server_text

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 3
# What a Location may hold: visible ASCII only, and no backslash (which requests and urllib.parse read apart).
_LOCATION_SAFE = re.compile(r"[!-\[\]-~]*")
_USERINFO = re.compile(r"(//|\\\\)[^/?#]*@")


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


def api_origin(api_root: str) -> Origin:
    """The origin of the API's address; SetupError naming --base-url when it is not beyond doubt."""
    try:
        if "\\" in api_root or any(char.isspace() or not char.isprintable() for char in api_root):
            raise UnfollowableUrl("a backslash, whitespace or a control character")
        return connection_origin(prepared_url(api_root))
    except UnfollowableUrl as exc:
        raise SetupError(f"the API address is not usable ({exc}); check --base-url (PLAYDASH_BASE_URL)") from None


def check_destination(url: str, origin: Origin, names: tuple[str, str]) -> None:
    """The last word before the secret leaves: SetupError unless a prepared URL goes to `origin`.

    `names` is (the secret, the setting of the address) as the message names them.
    """
    secret, setting = names
    try:
        destination = connection_origin(url)
    except UnfollowableUrl as exc:
        raise SetupError(f"the gate refused to send a request: {exc}; check {setting}") from None
    if destination != origin:
        raise SetupError(
            f"the gate refused to send {secret} to {destination}, which is not the API's origin ({origin}); "
            f"check {setting}"
        )


def _location_problem(location: str) -> str:
    """Why a Location is refused before it is even parsed, or ''."""
    if not location:
        return "an empty Location"
    if "\\" in location:
        return "a Location with a backslash (read as a different host by different parsers)"
    if not _LOCATION_SAFE.fullmatch(location):
        return "a Location with whitespace, control characters or characters outside ASCII"
    return ""


def redirect_target(
    current: str, location: str, origin: Origin, redactor: Redactor | None = None, *, names: tuple[str, str]
) -> str:
    """The prepared URL to follow a redirect to; SetupError unless it stays on `origin` beyond any doubt.

    `names` is (the secret, the setting of the address) as the message names them.
    """
    secret, setting = names
    advice = (
        f"the gate did not follow it, since it sends {secret} to the API's own origin only. If the API has moved, "
        f"give its new address as {setting}"
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
