"""Escapes decoded: the plain views of a text, in which gate/redact.py looks for secrets written with escapes.

The escapes read: percent-encoding (upper- or lower-case hex, UTF-8), `\\uXXXX`, `\\u{...}` and `\\xXX`, a
backslash before punctuation (Markdown, JSON), XML and HTML character references (decimal or hex, leading
zeros, `;` optional; named) and the doubled `'` of the runner's expressions; every escape the gate itself
writes (gate/text.py) is one of them. A text is decoded in several orders, round after round (escapes inside
escapes, up to ROUNDS deep), and each view may carry the span of the text each of its characters came from.
"""

from __future__ import annotations

import functools
import re
import string
from array import array
from collections.abc import Callable, Iterator
from html.entities import html5

# Escapes inside escapes (`%2570` is `%70` is `p`) are decoded this many times over.
ROUNDS = 4

# A text up to this long is decoded at once (re.sub, at C speed: its list of pieces takes a few MB at most);
# a longer one a block of this many pieces at a time, its time checked between blocks.
_AT_ONCE = 1 << 20
_BLOCK_PIECES = 8192

# The escapes read. Each family starts with characters of its own, so a text without them is not read for
# it (a regex that starts with a literal is a fast scan; one that starts with a class of characters is not).
_PERCENT = r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"  # a run at once: UTF-8 spans escapes
_CODE = r"\\(?:u[0-9A-Fa-f]{4}(?:\\u[0-9A-Fa-f]{4})*|u\{[0-9A-Fa-f]{1,8}\}|x[0-9A-Fa-f]{2})"
_NUMERIC = r"&#(?:[0-9]+;?|[xX][0-9A-Fa-f]+;?)"
_PUNCTUATION = r"\\[!-/:-@\[-`{-~]"  # Markdown's and JSON's backslash before punctuation
_NAMED = r"&[A-Za-z][A-Za-z0-9]{0,31};"
_QUOTES = "''"
_ESCAPE = "|".join((_PERCENT, _CODE, _NUMERIC, _PUNCTUATION, _NAMED, _QUOTES))
# The orders in which escapes are decoded: all kinds at once, left to right, and each kind first, as the
# outermost layer (a URL-encoded JSON string, an XML-escaped URL), then all kinds. Orders disagree only
# where two escapes overlap, a backslash before another escape's first character: `\%30` is an escaped
# `%` before `30`, or a `0` after a backslash. Without such a pair, all kinds at once is the one order.
_ORDERS = (
    (_ESCAPE, _ESCAPE),
    (_PERCENT, _ESCAPE),
    (f"{_CODE}|{_PUNCTUATION}", _ESCAPE),
    (f"{_NUMERIC}|{_NAMED}", _ESCAPE),
)
_OVERLAPS = ("\\%", "\\&")
# What starts an escape, and what may follow it for an escape inside an escape (`&amp;#112;` is `&#112;`),
# itself escaped maybe (`&amp;\\#112;` is the Markdown of `&#112;`). Beside base64's characters, `#` is wanted.
_INTRODUCERS = {"%": "[0-9A-Fa-f]{2}|[%&\\\\]", "&": "[#A-Za-z%&\\\\]", "\\": r"[ux{!-/:-@\[-`{-~]"}
# Beside a secret's own characters, the escapes of these are worth decoding: base64's (a blob written with
# escapes: `%2B` in a URL, `\\_` in Markdown) and `#` (an escape inside an escape, `&amp;#112;`).
_WANTED = frozenset(string.ascii_letters + string.digits + "+/=-_#")

# HTML's names for ASCII characters (from html.entities.html5, which a test keeps this equal to): known
# without loading that table of 2,231 names at every start.
_ASCII_NAMES = {
    "\t": "Tab;", "\n": "NewLine;", "!": "excl;", '"': "QUOT; quot;", "#": "num;", "$": "dollar;", "%": "percnt;",
    "&": "AMP; amp;", "'": "apos;", "(": "lpar;", ")": "rpar;", "*": "ast; midast;", "+": "plus;", ",": "comma;",
    ".": "period;", "/": "sol;", ":": "colon;", ";": "semi;", "<": "LT; lt;", "=": "equals;", ">": "GT; gt;",
    "?": "quest;", "@": "commat;", "[": "lbrack; lsqb;", "\\": "bsol;", "]": "rbrack; rsqb;", "^": "Hat;",
    "_": "UnderBar; lowbar;", "`": "DiacriticalGrave; grave;", "{": "lbrace; lcub;", "|": "VerticalLine; verbar; vert;",
    "}": "rbrace; rcub;",
}  # fmt: skip


def could_reveal(text: str, characters: frozenset[str]) -> bool:
    """Whether the text holds an escape whose decoding could bring text of these characters (a secret's) to
    light: only then can a plain view hold what the text as it stands does not. The escapes the gate's own
    reports are full of (`&amp;`, `\\(`, `&#10;`) are told apart by regexes made for these characters, not
    read one by one."""
    if "'" in characters and _QUOTES in text:
        return True  # the runner's expressions double a `'`: only a secret holding one can be spelled that way
    return any(
        introducer in text and _worth_decoding(characters, introducer).search(text) for introducer in _INTRODUCERS
    )


@functools.cache
def _worth_decoding(characters: frozenset[str], introducer: str) -> re.Pattern[str]:
    """The escapes of one family (by the character that starts it) worth decoding for secrets of these
    characters: an escape of one of their characters, of base64's (a blob written with escapes: `%2B` in a
    URL, `\\_` in Markdown) or of `#`; of an escape's first character before what would then make an
    escape (`&amp;#112;`, not `&amp; `); any code point (`\\u`, `\\x`, `&#…;`) but a tab's or a line end's.
    One regex a family, each starting with its one literal (the engine skips straight to it), made the
    first time a text holds that literal."""
    wanted = (characters | _WANTED) - frozenset(set(_INTRODUCERS) - characters)
    if introducer == "%":
        return re.compile(_percent_escapes(wanted | frozenset(_INTRODUCERS)))
    if introducer == "\\":
        punctuation = "".join(sorted(wanted & frozenset(string.punctuation)))
        branches = [r"u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,8}\}|x[0-9A-Fa-f]{2}"]
        branches += [f"[{re.escape(punctuation)}]"] if punctuation else []
        branches += [
            f"{re.escape(first)}(?={after})" for first, after in _INTRODUCERS.items() if first not in characters
        ]
        return re.compile("\\\\(?:" + "|".join(branches) + ")")
    branches = [r"#(?!0*(?:9|10|13);)[0-9]+;?|#[xX](?!0*[9aAdD];)[0-9A-Fa-f]+;?"]
    branches += sorted(re.escape(name) for char in wanted for name in _names(char))
    branches += [
        f"(?:{'|'.join(map(re.escape, _names(first)))})(?={after})"
        for first, after in _INTRODUCERS.items()
        if first not in characters
    ]
    return re.compile("&(?:" + "|".join(branches) + ")")


def _names(char: str) -> list[str]:
    """HTML's names for a character (`lowbar;` for `_`); the whole table is loaded only past ASCII."""
    if char.isascii():
        return _ASCII_NAMES.get(char, "").split()
    return [name for name, value in _entities().items() if value == char]


def _percent_escapes(characters: frozenset[str]) -> str:
    """A regex for a percent escape of a byte of one of these characters (either case of hex), or of any
    byte past ASCII (a part of some character's UTF-8)."""
    lows: dict[str, str] = {}
    for char in sorted(characters):
        for byte in char.encode("utf-8", "surrogatepass"):
            code = f"{byte:02X}"
            lows[code[0]] = lows.get(code[0], "") + code[1] + code[1].lower()
    alternatives = [f"[{high}{high.lower()}][{low}]" for high, low in lows.items()]
    return "%(?:" + "|".join([*alternatives, "[89A-Fa-f][0-9A-Fa-f]"]) + ")"


@functools.cache
def _entities() -> dict[str, str]:
    """HTML's named character references (`lowbar;` is `_`), kept the first time one is decoded."""
    return {name: value for name, value in html5.items() if name.endswith(";")}


@functools.lru_cache(maxsize=4096)
def _spelled(escape: str) -> str | None:
    """The text an escape stands for; None when it stands for nothing (it is then left as written)."""
    if escape[0] == "%":
        return bytes.fromhex(escape.replace("%", "")).decode("utf-8", "replace")
    if escape.startswith("\\u{"):
        return _character(escape[3:-1], 16)
    if escape.startswith("\\u"):
        units = "".join(chr(int(escape[index + 2 : index + 6], 16)) for index in range(0, len(escape), 6))
        # A surrogate pair becomes the character it encodes; a lone surrogate stays as it is.
        return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if escape.startswith("\\x"):
        return chr(int(escape[2:], 16))
    if escape[0] == "\\":
        return escape[1]
    if escape.startswith("&#"):
        number = escape[2:].rstrip(";")
        return _character(number[1:], 16) if number[0] in "xX" else _character(number, 10)
    if escape[0] == "&":
        return _entities().get(escape[1:])
    return "'"  # the runner's doubled quote


def _character(digits: str, base: int) -> str | None:
    """The character of a code point written in digits; None past the last one, however many zeros lead."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > 7:
        return None
    code = int(digits, base)
    return chr(code) if code <= 0x10FFFF else None


def _orders(text: str) -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """The orders of decoding that can give this text different plain views (see _ORDERS)."""
    orders = _ORDERS if any(pair in text for pair in _OVERLAPS) else _ORDERS[:1]
    return [(compiled(first), compiled(then)) for first, then in orders]


@functools.cache
def compiled(pattern: str) -> re.Pattern[str]:
    """A pattern compiled the first time a text needs it: a clean text needs none, and nothing is compiled
    when the module is imported (it is on every start's path)."""
    return re.compile(pattern)


def plain_views(text: str, check: Callable[[], None] = lambda: None) -> Iterator[str]:
    """The text with its escapes decoded, in each of _ORDERS, round after round (escapes inside escapes),
    up to ROUNDS times; each view once (only hashes are kept, never the views themselves). `check` is
    called every few thousand escapes (a deadline's: it raises to stop the work)."""
    seen = {hash(text)}
    for first, then in _orders(text):
        view, pattern = text, first
        for _ in range(ROUNDS):
            decoded = _decoded(view, pattern, check)
            if decoded is None:
                break
            if hash(decoded) not in seen:
                seen.add(hash(decoded))
                yield decoded
            view, pattern = decoded, then


def _decoded(text: str, pattern: re.Pattern[str], check: Callable[[], None]) -> str | None:
    """One round of decoding the escapes `pattern` finds; None if none is.

    A longer text is written a block at a time: re.sub holds a list of every piece (8 bytes an escape and
    more: a page of `%41x` took 130 MB that way), so it decodes only texts of up to _AT_ONCE characters.
    """
    if len(text) <= _AT_ONCE:
        decoded = pattern.sub(_replacement, text)
        return None if decoded == text else decoded
    blocks: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        spelled = _spelled(match.group())
        if spelled is None:
            continue
        begin, end = match.span()
        pieces.append(text[last:begin])
        pieces.append(spelled)
        last = end
        if len(pieces) >= _BLOCK_PIECES:
            blocks.append("".join(pieces))
            pieces.clear()
            check()
    if not last:
        return None
    pieces.append(text[last:])
    blocks.append("".join(pieces))
    return "".join(blocks)


def plain_views_mapped(
    text: str, check: Callable[[], None] = lambda: None
) -> Iterator[tuple[str, array[int], array[int]]]:
    """The plain views (as `plain_views`), each with the span of the text each of its characters came from."""
    seen = {hash(text)}
    for first, then in _orders(text):
        view, starts, ends = text, array("q", range(len(text))), array("q", range(1, len(text) + 1))
        pattern = first
        for _ in range(ROUNDS):
            decoded = _decoded_mapped(view, starts, ends, pattern, check)
            if decoded is None:
                break
            view, starts, ends = decoded
            if hash(view) not in seen:
                seen.add(hash(view))
                yield view, starts, ends
            pattern = then


def _replacement(match: re.Match[str]) -> str:
    spelled = _spelled(match.group())
    return match.group() if spelled is None else spelled


def _decoded_mapped(
    text: str, starts: array[int], ends: array[int], pattern: re.Pattern[str], check: Callable[[], None]
) -> tuple[str, array[int], array[int]] | None:
    """One round of decoding the escapes `pattern` finds, with the spans carried over; None if none is."""
    pieces: list[str] = []
    new_starts, new_ends = array("q"), array("q")
    last = 0
    for count, match in enumerate(pattern.finditer(text)):
        escape = match.group()
        spelled = _spelled(escape)
        if spelled is None:
            continue
        if count % _BLOCK_PIECES == 0:
            check()
        begin, end = match.span()
        pieces += [text[last:begin], spelled]
        new_starts += starts[last:begin]
        new_ends += ends[last:begin]
        width = 3 if escape[0] == "%" else 6 if escape[:2] == "\\u" and escape[2] != "{" else len(escape)
        if width * len(spelled) == len(escape):  # one escape a character: each maps to its own
            for offset in range(begin, end, width):
                new_starts.append(starts[offset])
                new_ends.append(ends[offset + width - 1])
        else:  # UTF-8 bytes, a surrogate pair, a name for two characters: each maps to them all
            new_starts += array("q", [starts[begin]]) * len(spelled)
            new_ends += array("q", [ends[end - 1]]) * len(spelled)
        last = end
    if not pieces:
        return None
    pieces.append(text[last:])
    new_starts += starts[last:]
    new_ends += ends[last:]
    return "".join(pieces), new_starts, new_ends
