"""Properties of the one sanitiser: whatever the text, a console line or a workflow command stays one inert line."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from gate.cli.console import Console
from gate.report import github
from gate.text import inline, markdown, sanitise

# Every control and separator character, mixed with the text that makes a workflow command.
DANGEROUS = st.sampled_from(
    [chr(code) for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0x200E, 0x202E, 0xD800)]
)
PIECES = st.sampled_from(["::", "::error::", "::add-mask::", "%0A", "%0D", "::stop-commands::", " ", "\t", "x", "é"])
HOSTILE = st.lists(st.one_of(DANGEROUS, PIECES, st.text(max_size=5)), max_size=40).map("".join)


def _line_ends(text: str) -> list[str]:
    return [ch for ch in text if ch in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]


@given(HOSTILE)
def test_console_lines_never_carry_another_line_end_nor_start_a_command(text: str) -> None:
    out = io.StringIO()
    Console(out, out, None, github=True).print(text)
    printed = out.getvalue()
    assert not _line_ends(printed)
    for line in printed.splitlines():
        assert not line.lstrip().startswith("::")


@given(HOSTILE, HOSTILE, HOSTILE)
def test_a_workflow_command_is_one_line_whatever_its_message_and_properties(
    message: str, title: str, file: str
) -> None:
    out = io.StringIO()
    Console(out, out, None, github=True).command(github.command("error", inline(message), title=title, file=file))
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("::error")


@given(HOSTILE)
def test_sanitised_inline_and_markdown_text_is_one_line(text: str) -> None:
    for cleaned in (sanitise(text), inline(text), markdown(text)):
        assert len(cleaned.splitlines()) <= 1
        assert "\n" not in cleaned
