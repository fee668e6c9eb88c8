"""The one text toolkit: every escape it writes is one the redactor reads back, its XML is the standard
library's, and values in messages are shown short whatever they are."""

from __future__ import annotations

import string
from collections.abc import Callable
from fnmatch import fnmatchcase
from xml.sax.saxutils import escape, quoteattr

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from gate.redact import MASK, Redactor
from gate.text import (
    Unquoted,
    command_data,
    command_property,
    cut,
    glob_literal,
    link,
    markdown,
    server_text,
    shown,
    xml_attribute,
    xml_body,
    xml_text,
    yaml_quoted,
)
from tests.acceptance.adversarial.hostile import traces
from tests.unit.test_redact import SECRETS

# Each format the gate writes untrusted text in, as it writes it.
WRITERS: dict[str, Callable[[str], str]] = {
    "Markdown": markdown,
    "a link's address": lambda text: link("the run", f"https://runs.example/{text}"),
    "a workflow command's message": command_data,
    "a workflow command's property": command_property,
    "XML content": xml_body,
    "an XML attribute": xml_attribute,
    "a YAML string": yaml_quoted,
}
# Secrets made of the characters the formats escape.
ESCAPED = st.text(alphabet=string.ascii_letters + string.digits + "&<>\"'%:,()[]*_`#!|~$\\{}-+=", min_size=8)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("writer", WRITERS)
def test_a_secret_written_in_any_format_is_still_found_by_the_redactor(secret: str, writer: str) -> None:
    written = WRITERS[writer](f"key {secret} refused")
    redacted = Redactor([secret]).text(written)
    assert traces(secret, redacted) == []
    assert MASK in redacted or traces(secret, written) == []  # masked, or never written (no link)


@given(secret=ESCAPED, writer=st.sampled_from(sorted(WRITERS)))
@example(secret="a&b<c>d\"e'f", writer="an XML attribute")
@example(secret="1. *a_b* `c`", writer="Markdown")
@example(secret="x:y,z%25w", writer="a workflow command's property")
@example(secret="p(a)t[h]'x'", writer="a link's address")
def test_no_escape_of_the_toolkit_hides_a_secret_from_redaction(secret: str, writer: str) -> None:
    assert traces(secret, Redactor([secret]).text(WRITERS[writer](secret))) == []


@given(text=st.text(), limit=st.integers(min_value=1, max_value=50))
@example(text="say \"hi\" and 'bye'\n\tnow", limit=50)
@example(text="only 'single'", limit=50)
@example(text="\x00\ud800<&>", limit=5)
def test_xml_is_escaped_and_quoted_as_the_standard_library_does(text: str, limit: int) -> None:
    assert xml_attribute(text, limit) == quoteattr(xml_text(text, limit), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    assert xml_body(text, limit) == escape(xml_text(text, limit))


def _xml_char(code: int) -> bool:
    """XML 1.0's `Char` production, as the standard writes it."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


# Every code point within 2 of a bound of XML's character ranges, and a few from the middle of each.
XML_BOUNDS = sorted(
    {
        code
        for bound in (0x0, 0x9, 0xA, 0xD, 0x20, 0x7F, 0x85, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFD, 0xFFFF, 0x10000)
        for code in range(bound - 2, bound + 3)
        if code >= 0
    }
    | {0x41, 0x3000, 0xDB80, 0xF000, 0x1F600, 0x10FFFE, 0x10FFFF}
)


def test_xml_text_replaces_exactly_the_characters_xml_forbids() -> None:
    text = "".join(map(chr, XML_BOUNDS))
    expected = "".join(chr(code) if _xml_char(code) else "\ufffd" for code in XML_BOUNDS)
    assert xml_text(text, limit=len(text)) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("  padded ", 60, "'  padded '"),
        ("x" * 200, 100, "'" + "x" * 98 + "…"),
        (Unquoted("12:30:00"), 60, "12:30:00"),
        (Unquoted("1\n2"), 60, "'1\\n2'"),
        ([1, [2, [3, [4]]]], 60, "[1, [2, [...]]]"),
        (10**400, 60, "a number of about 400 digits"),
        (None, 60, "None"),
    ],
)
def test_a_value_is_shown_short_whatever_it_is(value: object, limit: int, expected: str) -> None:
    assert shown(value, limit) == expected
    assert len(shown(value, limit)) <= limit


def test_the_servers_words_are_redacted_before_they_are_folded_and_cut() -> None:
    key = "pd_live_0123456789abcdef"
    said = server_text(f"bad\nkey   {key} " + "x" * 400, Redactor([key]), 40)
    assert said == cut("bad key *** " + "x" * 400, 40) and said.endswith("…") and len(said) == 40
    assert server_text(None, None) == server_text("", Redactor([key])) == ""


@given(text=st.text())
@example(text='x\n- test: "*"\n  reason: all')
@example(text="\x85\u2028\u2029\r\ufeff\x7f\ud800")
@example(text="\U000e0001")
def test_a_yaml_string_is_one_line_and_reads_back_as_the_text(text: str) -> None:
    quoted = yaml_quoted(text)
    assert quoted.isprintable()  # nothing a YAML reader (or the runner) takes for a line end
    expected = "".join(ch if ch.isprintable() or ord(ch) < 0x10000 else "\ufffd" for ch in text)
    assert yaml.safe_load(f"key: {quoted}") == {"key": expected}


@given(text=st.text(), limit=st.integers(min_value=2, max_value=60))
@example(text="a[b]c*d?", limit=60)
@example(text="***", limit=4)
def test_a_literal_glob_matches_its_text_and_keeps_its_bounds(text: str, limit: int) -> None:
    glob = glob_literal(text, limit)
    assert len(glob) <= limit and glob.count("[") == glob.count("]") and glob.isprintable()
    assert fnmatchcase(text, glob)
