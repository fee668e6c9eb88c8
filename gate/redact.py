"""Secrets out of text: the key and the token removed where untrusted text enters the gate, and at every sink.

One mechanism for every form a secret can take. A text is searched as it stands and, when it holds an
escape whose decoding could bring a secret to light, in plain views with its escapes decoded (in several
orders, round after round); what is found there is masked at the characters it came from. Masked, per
secret:
- any FRAGMENT (8) consecutive characters of it (the whole secret when it is shorter);
- the same written with escapes, any mix of them, nested up to ROUNDS deep (gate/unescape.py): percent-
  encoding (upper- or lower-case hex, UTF-8), `\\uXXXX`, `\\u{...}` and `\\xXX`, a backslash before
  punctuation (Markdown, JSON), XML and HTML character references (decimal or hex, leading zeros, `;`
  optional; named), and the doubled `'` of the runner's expressions;
- its base64, standard or URL-safe alphabet (or a mix), with or without padding, at each of the three
  byte alignments, alone or inside a larger blob (`x-access-token:` + token): the whole base64 run is
  masked when it holds the secret's first or last FRAGMENT bytes (the whole secret, or one cut short on
  either side).
That is every encoding the Actions runner's own masker registers (actions/runner, ValueEncoders: base64 at
three alignments, URI data, JSON string, XML data, expression string) and the spellings a hostile server may
choose beyond them. Where the line is, and why, is in docs/faults-and-security.md ("Secrets").
"""

from __future__ import annotations

import binascii
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from gate.deadline import TimeUp
from gate.unescape import compiled, could_reveal, plain_views, plain_views_mapped

if TYPE_CHECKING:
    from gate.deadline import Deadline

# A secret shorter than this is not a real key; replacing it would only garble text.
MIN_SECRET = 6
# Any run of this many characters of a secret is masked too: a server that echoes part of the key (cut,
# or with a prefix dropped) would otherwise leak that part, which no whole-key match can find.
FRAGMENT = 8
MASK = "***"
# A longer text that holds a secret only through its escapes is masked whole, not mapped character by
# character (a bound on memory; the sinks' blocks and the server's words are far shorter).
MAX_MAPPED = 1 << 20
# Parsed JSON is first looked at in blocks of its strings this long (in characters), never joined whole.
BLOCK = 1 << 20
# The deadline is looked at once per this many anchors followed in one text (a few milliseconds of work).
_CHECK_EVERY = 4096
# Masking only shortens a text; one still holding a secret after this many passes is replaced whole.
_PASSES = 8
# Fragments are found through anchors: each FRAGMENT-long piece of a secret holds one of its _ANCHOR-long
# pieces that start at a multiple of _STRIDE, so a clean text costs a few substring tests, not one a piece.
_ANCHOR = 5
_STRIDE = FRAGMENT - _ANCHOR + 1
_TO_STANDARD = str.maketrans("-_", "+/")
_BASE64_RUN = r"[A-Za-z0-9+/_-]*"


class Redactor:
    """Removes the given secrets, in every form (see the module's docstring), from text and from parsed JSON."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {secret.strip() for secret in secrets if secret and len(secret.strip()) >= MIN_SECRET}
        self.secrets = sorted(found, key=len, reverse=True)
        self._pieces = frozenset(piece for secret in self.secrets for piece in _pieces(secret))
        self._lengths = sorted({len(piece) for piece in self._pieces}, reverse=True)
        self._piece_needles = tuple(sorted({anchor for secret in self.secrets for anchor in _anchors(secret)}))
        cores = {core for secret in self.secrets for core in _base64_cores(secret)}
        self._cores = frozenset(cores)
        self._core_needles = tuple(sorted({spelling for core in cores for spelling in _spellings(core)}))
        # The first look: when none of these is in a text, no secret is in it as it stands.
        self._needles = self._piece_needles + self._core_needles
        self._pieces_wanted = frozenset(self._piece_needles)
        self._characters = frozenset("".join(self.secrets))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, value: str, deadline: Deadline | None = None) -> str:
        """The text with every secret, in any of its forms, replaced by `***`; TimeUp once past the deadline."""
        if not self.secrets:
            return value
        check = _checker(deadline)
        for _ in range(_PASSES):
            spans = self._spans(value, check)
            if not spans:
                return value
            value = _masked(value, spans)
        return MASK

    def clean(self, value: str, deadline: Deadline | None = None) -> bool:
        """Whether the text holds no secret in any form, nor a fragment of one (found as `text` finds them)."""
        check = _checker(deadline)
        return not self.secrets or not (self._found(value, check) or self._through_escapes(value, check))

    def data(self, value: Any, deadline: Deadline | None = None) -> Any:
        """Parsed JSON with every string (keys included) redacted; walked without recursion; TimeUp once past
        the deadline (checked between blocks of strings, and while escapes are decoded)."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value, deadline)
        if not isinstance(value, (dict, list)) or all(self.clean(block, deadline) for block in _blocks(value)):
            # The common case, a clean answer, costs one pass over its text, a block of strings at a time.
            return value
        check = _checker(deadline)
        stack: list[Any] = [value]
        while stack:
            node = stack.pop()
            check()
            items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            for key, item in items:
                if isinstance(item, str):
                    node[key] = self.text(item, deadline)
                elif isinstance(item, (dict, list)):
                    stack.append(item)
            if isinstance(node, dict) and any(isinstance(key, str) and not self.clean(key, deadline) for key in node):
                renamed = {
                    (self.text(key, deadline) if isinstance(key, str) else key): item for key, item in node.items()
                }
                node.clear()
                node.update(renamed)
        return value

    # -- finding ---------------------------------------------------------------------------------------------

    def _spans(self, value: str, check: Callable[[], None]) -> list[tuple[int, int]]:
        """Where the text holds a secret: as it stands, and through its escapes (mapped back to the text).

        Every round of decoding is searched: a secret written half plain, half escaped is found whole in
        a plain view (not in pieces that leave its escaped ends), and one whose own characters read as an
        escape (`%2C`) is found as it stands, or in the round that decodes its escaped spelling once.
        """
        found = self._found(value, check)
        if not self._through_escapes(value, check):
            return found
        # No escape, no secret and no base64 run crosses a line's end: only the lines that hold a secret
        # through their escapes are mapped character by character (one line is known to, and not looked at twice).
        located = []
        offset = 0
        lines = value.split("\n")
        for line in lines:
            if len(lines) == 1 or self._through_escapes(line, check):
                if len(line) > MAX_MAPPED:
                    located.append((offset, offset + len(line)))
                for view, starts, ends in plain_views_mapped(line, check) if len(line) <= MAX_MAPPED else ():
                    located += [(offset + starts[begin], offset + ends[end - 1]) for begin, end in self._found(view)]
            offset += len(line) + 1
        if located:
            return found + located
        # What is found as it stands, masked, may be all the plain view held (a fragment on one line, an escape
        # on another, unrelated): the text is masked whole only if a secret is left through its escapes.
        if found and not self._through_escapes(_masked(value, found), check):
            return found
        # Fail closed: what the whole text's plain view holds and no line's does is masked with the text.
        return [*found, (0, len(value))]

    def _through_escapes(self, text: str, check: Callable[[], None]) -> bool:
        """Whether a plain view of the text holds a secret."""
        if not could_reveal(text, self._characters):
            return False
        check()
        return any(self._found(view) for view in plain_views(text, check))

    def _found(self, text: str, check: Callable[[], None] = lambda: None) -> list[tuple[int, int]]:
        """Where the text as it stands holds a piece of a secret, or a base64 run that encodes one.

        Whole secrets come first, found at C speed: a text made of them is masked in a few passes (the
        caller finds what is left on its next pass), not piece by piece. A text full of anchors that are no
        piece (`pd_li?` over and over) costs a moment each: `check` is called every _CHECK_EVERY of them.
        """
        # One scan a needle: in a clean text each is looked for once, and only those found are followed.
        hits = [(needle, at) for needle in self._needles if (at := text.find(needle)) >= 0]
        if not hits:
            return []
        spans = [(at, at + len(secret)) for secret in self.secrets for at in _occurrences(text, secret)]
        if spans:
            return spans
        looked = 0
        for needle, first in hits:
            if needle in self._pieces_wanted:
                for at in _occurrences(text, needle, first):
                    looked += 1
                    if not looked % _CHECK_EVERY:
                        check()
                    spans += self._pieces_around(text, at, len(needle))
                continue
            at = first
            while at >= 0:
                looked += 1
                if not looked % _CHECK_EVERY:
                    check()
                if text[at : at + 8].translate(_TO_STANDARD) in self._cores:
                    spans.append(_base64_run(text, at))
                    at = spans[-1][1]  # the rest of this run is masked already
                at = text.find(needle, at + 1)
        return spans

    def _pieces_around(self, text: str, at: int, width: int) -> list[tuple[int, int]]:
        """The pieces of a secret in the text that hold the needle found at `at`."""
        return [
            (start, start + length)
            for length in self._lengths
            for start in range(max(0, at + width - length), at + 1)
            if text[start : start + length] in self._pieces
        ]


def _occurrences(text: str, needle: str, first: int | None = None) -> Iterator[int]:
    """Every index at which the needle starts in the text (from `first`, when known), overlapping ones too."""
    at = text.find(needle) if first is None else first
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)


# -- the pieces of a secret ------------------------------------------------------------------------------------


def _pieces(secret: str) -> set[str]:
    """Every FRAGMENT-long piece of the secret, or the secret itself when it is shorter."""
    if len(secret) < FRAGMENT:
        return {secret}
    return {secret[start : start + FRAGMENT] for start in range(len(secret) - FRAGMENT + 1)}


def _anchors(secret: str) -> set[str]:
    """Pieces of _ANCHOR characters, one inside every FRAGMENT-long piece (the secret itself when short)."""
    if len(secret) < FRAGMENT:
        return {secret}
    return {secret[start : start + _ANCHOR] for start in range(0, len(secret) - _ANCHOR + 1, _STRIDE)}


def _base64_cores(secret: str) -> set[str]:
    """The first and the last two base64 groups (8 characters, 6 bytes) of the secret at each of the three
    byte alignments, padding left out: set by the secret's bytes alone, they appear as they are in any blob
    that holds the secret's first (or last) FRAGMENT bytes, whatever comes before or after them."""
    data = secret.encode("utf-8", "surrogatepass")
    cores = set()
    for shift in range(3):
        whole = (len(data) - shift) // 3 * 3
        if whole >= 6:
            encoded = binascii.b2a_base64(data[shift : shift + whole], newline=False).decode("ascii")
            cores |= {encoded[:8], encoded[-8:]}
    return cores


def _spellings(core: str) -> set[str]:
    """A base64 core in the standard and the URL-safe alphabet, and every mix of them when it has few
    characters that differ (up to 4 spellings; with more, the two alphabets whole)."""
    differing = sum(char in "+/" for char in core)
    if differing > 2:
        return {core, core.translate(str.maketrans("+/", "-_"))}
    choices = [("+", "-") if char == "+" else ("/", "_") if char == "/" else (char,) for char in core]
    return {"".join(spelling) for spelling in itertools.product(*choices)}


def _base64_run(text: str, start: int) -> tuple[int, int]:
    """The run of base64 characters around `start`, its padding included: the blob the secret is part of."""
    begin = start
    while begin > 0:
        # Read backwards a window at a time: a regex reads forwards, so each window is reversed first.
        window = text[max(0, begin - 4096) : begin][::-1]
        length = compiled(_BASE64_RUN).match(window).end()  # type: ignore[union-attr]  # `*` always matches
        begin -= length
        if length < len(window):
            break
    end = compiled(_BASE64_RUN).match(text, start).end()  # type: ignore[union-attr]
    return begin, compiled("=*").match(text, end).end()  # type: ignore[union-attr]


# -- masking -----------------------------------------------------------------------------------------------------


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span (overlapping or touching spans merged) replaced by one MASK."""
    merged: list[list[int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    pieces: list[str] = []
    last = 0
    for begin, end in merged:
        pieces += [text[last:begin], MASK]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _checker(deadline: Deadline | None) -> Callable[[], None]:
    """What redaction calls between its steps: TimeUp once the deadline has passed (nothing without one)."""
    if deadline is None:
        return lambda: None

    def check() -> None:
        if deadline.expired():
            raise TimeUp("redaction still under way at the deadline")

    return check


def _blocks(value: dict[Any, Any] | list[Any]) -> Iterator[str]:
    """The strings of parsed JSON (keys included), joined by NULs (which no escape, base64 run nor secret
    holds) into blocks of at most BLOCK characters; a longer string is a block of its own. Walked without
    recursion; never the whole answer's text at once."""
    block: list[str] = []
    size = 0
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        for item in itertools.chain(node.keys(), node.values()) if isinstance(node, dict) else node:
            if isinstance(item, str):
                if block and size + len(item) > BLOCK:
                    yield "\x00".join(block)
                    block, size = [], 0
                block.append(item)
                size += len(item) + 1
            elif isinstance(item, (dict, list)):
                stack.append(item)
    if block:
        yield "\x00".join(block)
