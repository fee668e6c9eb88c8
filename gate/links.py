"""The addresses the gate may show as links: http or https, parsed sanely; anything else is never a link."""

from __future__ import annotations

from urllib.parse import urlsplit

# Far beyond any address a CI or GitHub gives; longer text is not taken for one.
MAX_LINK = 2_000
_HOST_PUNCTUATION = frozenset("-._")


def link_address(raw: object) -> str | None:
    """`raw` when it is an absolute http:// or https:// address beyond doubt (its scheme in small letters),
    else None.

    Refused: any other scheme (`javascript:`, `data:`, `vbscript:`, in any case, behind spaces or controls,
    or split by a tab), no scheme at all (`//host`), no host, a user name or password
    (`https://github.com@evil.example`), a port that is not a number, a host of other characters than
    letters, digits, `-`, `.` and `_` (or an IPv6 address in brackets), any white space, control or invisible
    character, a backslash (parsers disagree on it), and more than 2,000 characters.
    """
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_LINK:
        return None
    # isprintable() is false for controls, format characters (bidi, zero-width) and every space but " ".
    if not raw.isprintable() or " " in raw or "\\" in raw:
        return None
    if not raw[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return None
    host = parts.hostname or ""
    if "@" in parts.netloc or not host:
        return None
    if parts.netloc.startswith("["):
        import ipaddress  # noqa: PLC0415 - only for an address in brackets

        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    elif not all(char.isalnum() or char in _HOST_PUNCTUATION for char in host):
        return None
    return parts.scheme + raw[len(parts.scheme) :]  # the scheme in small letters, as every reader knows it


def link_root(raw: object) -> str | None:
    """An address that links are built under (GITHUB_SERVER_URL): a link address with no query or fragment,
    without its trailing `/`; else None."""
    text = raw.strip().rstrip("/") if isinstance(raw, str) else None
    address = link_address(text)
    if address is None:
        return None
    parts = urlsplit(address)
    return None if parts.query or parts.fragment or address.endswith(("?", "#")) else address
