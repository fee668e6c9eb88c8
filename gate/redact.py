"""Secrets out of text: the key (and any token) removed where untrusted text enters the gate, and at every sink.

Redaction happens before any cutting or escaping; the sinks redact again, in every escaped form the key
could take there (Markdown, HTML, JSON, XML, workflow commands, URLs), as a last line of defence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

# A secret shorter than this is not a real key; replacing it would only garble text.
MIN_SECRET = 6
# Any run of this many characters of a secret is masked too: a server that echoes part of the key (cut,
# or with a prefix dropped) would otherwise leak that part, which no whole-key match can find.
FRAGMENT = 8
MASK = "***"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#!|~$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _markdown(text: str) -> str:
    return "".join(_HTML.get(ch, "\\" + ch if ch in _MARKDOWN_SPECIAL else ch) for ch in text)


def variants(secret: str) -> list[str]:
    """Every spelling the secret can take in some sink, longest first (so none is left half-replaced)."""
    forms = {
        secret,
        _markdown(secret),
        "".join(_HTML.get(ch, ch) for ch in secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        # XML's escapes, written out: xml.sax.saxutils would load urllib.request at start-up.
        secret.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;"),
        secret.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"),
        secret.replace("%", "%25").replace(":", "%3A").replace(",", "%2C"),
        quote(secret, safe=""),
        quote(secret),
    }
    return sorted((form for form in forms if len(form) >= MIN_SECRET), key=len, reverse=True)


class Redactor:
    """Removes the given secrets (and their escaped spellings) from text and from parsed JSON."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {secret.strip() for secret in secrets if secret and len(secret.strip()) >= MIN_SECRET}
        self.secrets = sorted(found, key=len, reverse=True)
        self._forms = sorted({form for secret in self.secrets for form in variants(secret)}, key=len, reverse=True)
        self._fragments = {
            secret[start : start + FRAGMENT] for secret in self.secrets for start in range(len(secret) - FRAGMENT + 1)
        }
        # Runs of characters a secret is made of: only such a run can hold a fragment (a fast first look).
        alphabet = "".join(sorted({char for secret in self.secrets for char in secret}))
        self._runs = re.compile(f"[{re.escape(alphabet)}]{{{FRAGMENT},}}") if self._fragments else None

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, value: str) -> str:
        """The text with every secret, in any of its spellings, replaced by `***`."""
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        if len(value) >= FRAGMENT and any(fragment in value for fragment in self._fragments):
            value = self._mask_fragments(value)
        return value

    def clean(self, value: str) -> bool:
        """Whether the text holds no secret in any spelling, nor a fragment of one."""
        return not self._dirty(value)

    def _dirty(self, value: str) -> bool:
        """Whether the text holds a secret in any spelling, or a fragment of one (C-speed substring tests)."""
        return any(form in value for form in self._forms) or any(fragment in value for fragment in self._fragments)

    def _mask_fragments(self, value: str) -> str:
        assert self._runs is not None
        covered: list[tuple[int, int]] = []
        for run in self._runs.finditer(value):
            text, offset = run.group(), run.start()
            for start in range(len(text) - FRAGMENT + 1):
                if text[start : start + FRAGMENT] in self._fragments:
                    begin, end = offset + start, offset + start + FRAGMENT
                    if covered and begin <= covered[-1][1]:
                        covered[-1] = (covered[-1][0], end)
                    else:
                        covered.append((begin, end))
        if not covered:
            return value
        pieces, last = [], 0
        for begin, end in covered:
            pieces += [value[last:begin], MASK]
            last = end
        pieces.append(value[last:])
        return "".join(pieces)

    def data(self, value: Any) -> Any:
        """Parsed JSON with every string (keys included) redacted; walked without recursion."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if not isinstance(value, (dict, list)) or not self._dirty("\x00".join(_strings(value))):
            # The common case, a clean answer, costs one pass over its text.
            return value
        root: list[Any] = [value]
        stack: list[Any] = [value]
        while stack:
            node = stack.pop()
            items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            for key, item in items:
                if isinstance(item, str):
                    node[key] = self.text(item)
                elif isinstance(item, (dict, list)):
                    stack.append(item)
            if isinstance(node, dict) and any(isinstance(key, str) and self._contains(key) for key in node):
                renamed = {self.text(key) if isinstance(key, str) else key: item for key, item in node.items()}
                node.clear()
                node.update(renamed)
        return root[0]

    def _contains(self, value: str) -> bool:
        return self._dirty(value)


def _strings(value: dict[Any, Any] | list[Any]) -> list[str]:
    """Every string of parsed JSON, keys included, walked without recursion."""
    found: list[str] = []
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        items = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        for item in items:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return found
