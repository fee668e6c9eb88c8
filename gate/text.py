"""The one text toolkit: values shown and texts cut for messages, untrusted text made one inert line, the
escapes of each format the gate writes (Markdown, links, workflow commands, XML, YAML), and the links it builds.

Every escape written here is one that gate/redact.py reads back in its plain views (tests/unit/test_text.py
checks each format): escaping text is never a way to hide a secret from redaction.
"""

from __future__ import annotations

import ipaddress
import re
import reprlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from gate.redact import Redactor

# A value quoted back in a message is cut to this many characters: enough to recognise it, never a flood.
SHOWN_CHARS = 60
# Server text (an error body, a reason phrase, a header) is cut to this in messages, after redaction.
SERVER_TEXT_LIMIT = 300
# An address longer than this (far beyond any a CI or GitHub gives) is not taken for one.
MAX_LINK = 2_000

# Bidirectional overrides can make a title read differently from what it is ("Trojan source").
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f"
# C0 and C1 controls (category Cc, NEL included), line and paragraph separators, lone surrogates, bidi.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_BIDI}]")
_SPACES = re.compile(r"\s+")
# Markdown: the characters that start markup (a backslash before each), HTML's (as references), and what
# would open a nested list or a heading at the start of a list item.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#!|~$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_LEADING_BLOCK = re.compile(r"^([-+=]|\d+(?=[.)]))")
# In a link's address: what could end the link or start markup, percent-encoded.
_URL_UNSAFE = {ch: f"%{ord(ch):02X}" for ch in " ()<>[]\"'`|\\*_~$!{}"}
_HOST_PUNCTUATION = frozenset("-._")
# XML 1.0 forbids these characters outright, escaped or not: all but tab, line feed, carriage return,
# U+0020-U+D7FF, U+E000-U+FFFD and U+10000 on. Named as they are rather than as the complement of what XML
# allows: the same set, but compiled in a fraction of a millisecond instead of about 7 ms at every start.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_TEXT_LIMIT = 2000


# -- values and texts in messages ------------------------------------------------------------------------


class Unquoted(str):
    """A text `shown` as it is written, not quoted: a number kept as the text it was written as."""

    __slots__ = ()


def cut(text: str, limit: int) -> str:
    """The text, or its first `limit` - 1 characters and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value as a message shows it: its repr, cut to `limit` characters with "…", whatever its size.

    The cost is bounded however big or deep the value: a text is cut before its repr is made, a huge
    whole number is described (`repr` of one past 4,300 digits raises), containers are shown a few items
    of a few levels deep.
    """
    if isinstance(value, Unquoted):
        piece = str.__str__(value[: limit + 1])
        text = piece if piece.isprintable() else repr(piece)
    elif isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        text = f"a number of about {int(value.bit_length() * 0.30103)} digits"
    else:
        brief = reprlib.Repr()
        brief.maxlevel, brief.maxdict, brief.maxlist, brief.maxtuple, brief.maxset = 2, 4, 4, 4, 4
        brief.maxstring = brief.maxother = brief.maxlong = limit
        try:
            text = brief.repr(value)
        except (ValueError, RecursionError):
            text = f"a {type(value).__name__}"
    return cut(text, limit)


# -- one line -----------------------------------------------------------------------------------------------


def sanitise(text: str) -> str:
    """The one sanitiser of text bound for a console line or a workflow command.

    Every C0 and C1 control (so `\\r`, NEL and the rest, which a runner may take as a line end), U+2028,
    U+2029, lone surrogates and bidirectional overrides become spaces: no text can start a new line.
    """
    return _UNSAFE.sub(" ", text)


def inline(text: str, limit: int = 300) -> str:
    """Untrusted text on one line: control and line-breaking characters become spaces, long text is cut."""
    cleaned = _SPACES.sub(" ", sanitise(text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def server_text(value: str | None, redactor: Redactor | None, limit: int = SERVER_TEXT_LIMIT) -> str:
    """Untrusted text for a message: redacted (before the cut, so no cut can hide a part of a secret from
    redaction), whitespace folded, cut."""
    if not value:
        return ""
    if redactor:
        value = redactor.text(value)
    return cut(" ".join(value.split()), limit)


# -- YAML and globs (what `quarantine suggest` prints) -------------------------------------------------------

# In a glob matching a text literally: `*` and `?` bracketed; brackets matched by `?` (a config's glob must have
# as many `]` as `[`), as are characters that are not printable (a glob is one line).
_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "?", "]": "?"}


def glob_literal(text: str, limit: int) -> str:
    """A glob that matches the text (and, where it holds brackets or unprintable characters, a few like it), of
    at most `limit` characters: past it, its beginning and `*`."""
    pieces = [_GLOB_LITERAL.get(ch, ch if ch.isprintable() else "?") for ch in text[: limit + 1]]
    if sum(map(len, pieces)) <= limit and len(text) <= limit:
        return "".join(pieces)
    kept, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "*"


def yaml_quoted(text: str) -> str:
    """The text as one YAML double-quoted scalar, read back as it is: `"` and `\\` escaped, and every character
    that is not printable (a line end of any kind, a control, a format character) as `\\xXX` or `\\uXXXX`, so
    that no text can end the line, the scalar or start a key. One outside the Basic Multilingual Plane that is
    not printable becomes U+FFFD (the escapes read back by redaction stop at four digits)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02X}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append("\ufffd")
    return '"' + "".join(out) + '"'


# -- Markdown --------------------------------------------------------------------------------------------------


def markdown(text: str, limit: int = 300) -> str:
    """Untrusted text as inert GitHub-flavoured Markdown: no markup, links, HTML, math or table breaks."""
    out = []
    for ch in inline(text, limit):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return _LEADING_BLOCK.sub(
        lambda match: match.group(0) + "\\" if match.group(0).isdigit() else "\\" + match.group(0), escaped, count=1
    )


# -- links -------------------------------------------------------------------------------------------------------


def link_address(raw: object) -> str | None:
    """`raw` when it is an absolute http:// or https:// address beyond doubt (its scheme in small letters),
    else None.

    Refused: any other scheme (`javascript:`, `data:`, `vbscript:`, in any case, behind spaces or controls,
    or split by a tab), no scheme at all (`//host`), no host, a user name or password
    (`https://github.com@evil.example`), a port that is not a number, a host of other characters than
    letters, digits, `-`, `.` and `_` (or an IPv6 address in brackets), any white space, control or invisible
    character, a backslash (parsers disagree on it), and more than MAX_LINK characters.
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


def link(words: str, url: str | None) -> str:
    """The one way a link is written: `[words](url)` when the address is http(s) beyond doubt (`link_address`),
    its characters that could end the link or start markup percent-encoded; else the words alone, plain text.

    `words` is Markdown already (the gate's own words, or text escaped with `markdown()`).
    """
    address = link_address(url)
    if address is None:
        return words
    return f"[{words}]({''.join(_URL_UNSAFE.get(ch, ch) for ch in address)})"


# -- GitHub's workflow commands ---------------------------------------------------------------------------------


def command_data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """A workflow command's property value (file=, title=), escaped as the runner unescapes it."""
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


# -- XML -----------------------------------------------------------------------------------------------------------


def xml_text(text: str, limit: int = XML_TEXT_LIMIT) -> str:
    """Untrusted text made legal in XML 1.0 and cut to `limit` characters (escaping is the writer's job)."""
    return cut(_NOT_XML.sub("\ufffd", text), limit)


def xml_body(text: str, limit: int = XML_TEXT_LIMIT) -> str:
    """Untrusted text as the content of an XML element: legal, cut, and `&`, `<`, `>` escaped."""
    return xml_text(text, limit).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def xml_attribute(text: str, limit: int = 1000) -> str:
    """Untrusted text as a quoted XML attribute value: legal, cut, escaped, line ends and tabs as references
    (an attribute's white space is otherwise normalised away); quoted as `xml.sax.saxutils.quoteattr` does."""
    escaped = xml_body(text, limit).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in escaped:
        return f'"{escaped}"'
    if "'" not in escaped:
        return f"'{escaped}'"
    return '"' + escaped.replace('"', "&quot;") + '"'
