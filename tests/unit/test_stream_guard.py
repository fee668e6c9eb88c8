"""The one guard on stdout and stderr: after the runner's own line splitting, no line is a command but the
gate's own, whatever the text and however it is cut into writes; text with no command in it is untouched."""

from __future__ import annotations

import io
import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.cli.console import Console
from gate.cli.guard import GuardedStream, guarded, guarded_if_output, neutralise
from gate.ending import Ending
from gate.evaluate import Verdict
from gate.model import TestResult
from gate.outcome import Outcome
from gate.report import json_report, junit, markdown
from tests.actions_runner import command_in, commands, log_lines, starts_a_command

# Every way the review (and the runner's source) found to make a line a command, or to hide that it is one.
HOSTILE = [
    "\n::error::PWN",
    "title\n::error::PWN\n",
    "title\r::add-mask::PWN",
    "title\r\n::stop-commands::PWN-token",
    "::PWN-token::",
    "x ##[set-output name=verdict]PWN",
    "##[error]PWN",
    "  ::warning::PWN",
    "\t\t::notice::PWN",
    "\u3000::error::PWN",
    "\u00a0\u2003::error::PWN",
    "\u2028::error::PWN",
    "\x85::error::PWN",
    "\x0b\x0c::error::PWN",
    "\u200b::error::PWN",
    "\ufeff::error::PWN",
    "\x00::error::PWN",
    ":\u200b:error::PWN",
    ":\u00ad:error::PWN",
    "#\u200b#[error]PWN",
    "#\u2060#\u200d[error]PWN",
    "\U000e0041::error::PWN",
    ":::::error::PWN",
    "\n\n\r\r::group::PWN\n::endgroup::",
]


def guard_all(*writes: str) -> str:
    """What a guard writes for these writes, one after the other."""
    out = io.StringIO()
    stream = GuardedStream(out)
    for text in writes:
        stream.write(text)
    return out.getvalue()


def only_spaces_added(before: str, after: str) -> bool:
    """Whether `after` is `before` with spaces put in, and nothing else changed."""
    position = 0
    for char in after:
        if position < len(before) and char == before[position]:
            position += 1
        elif char != " ":
            return False
    return position == len(before)


@pytest.mark.parametrize("text", HOSTILE)
def test_no_line_of_hostile_text_is_a_command_after_the_runners_splitting(text: str) -> None:
    written = guard_all(text)
    assert not [line for line in log_lines(written) if starts_a_command(line)], written
    assert "PWN" in written and only_spaces_added(text, written)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_command_cut_into_writes_is_cut_as_the_whole_line_is(text: str) -> None:
    whole = guard_all(text)
    for cut in range(1, len(text)):
        assert guard_all(text[:cut], text[cut:]) == whole, cut
    assert guard_all(*text) == whole  # one character at a time


def test_a_colon_now_and_a_colon_later_are_one_line() -> None:
    assert guard_all(":", ":error::x\n") == ": :error::x\n"
    assert guard_all("  ", ":", "\u200b", ":stop-commands::t\n") == "  :\u200b :stop-commands::t\n"
    assert guard_all("#", "#", "[error]x") == "## [error]x"
    # A line that is already something else cannot become a command later.
    assert guard_all("a", "::error::x") == "a::error::x"


def test_what_holds_no_command_is_written_as_it_came() -> None:
    text = 'ok: 3 passed\n{"title": "a::b", "spec": "#1 [x]"}\n  key: value\n# heading [link](x)\nC:\\dir\n'
    assert guard_all(text) == text


# Text from the runner's point of view: markers, every kind of white space and of character that weighs
# nothing, line ends of every kind, and plain text.
PIECES = st.sampled_from(
    [":", "::", "#", "##", "[", "]", "error", "add-mask", "stop-commands", "set-output name=x", "PWN", "x", "é"]
)
SPACES = [" ", "\t", "\x0b", "\x0c", "\x85", "\xa0", "\u2003", "\u2028", "\u2029", "\u3000", "\u1680", "\u180e"]
NOTHING = ["\x00", "\x1c", "\x1f", "\x7f", "\x9b", "\xad", "\u200b", "\u200d", "\u2060", "\u2066", "\ufeff", "\ufe0f"]
ODD = st.sampled_from([*SPACES, *NOTHING, "\u0600", "\u061c", "\ud800", "\U000e0041", "\r", "\n", "\r\n"])
TEXT = st.lists(st.one_of(PIECES, ODD), max_size=30).map("".join)


@given(TEXT, st.lists(st.integers(0, 40), max_size=6))
@example("\u180e::error::x", [])
@example(":\ufeff:x::", [1])
@example("#\n#[x]", [])
@example("\r\n::x::", [1])
@example(":\n:x::", [1])
def test_whatever_the_text_and_its_writes_no_line_reads_as_a_command(text: str, cuts: list[int]) -> None:
    points = sorted({min(cut, len(text)) for cut in cuts})
    writes = [text[start:end] for start, end in zip([0, *points], [*points, len(text)], strict=True)]
    written = guard_all(*writes)
    assert not [line for line in log_lines(written) if starts_a_command(line)], written
    assert only_spaces_added(text, written)
    assert written == guard_all(text)  # the same cuts, however the text came


@given(st.text(alphabet=st.characters(blacklist_characters=":#"), max_size=200))
def test_text_without_a_colon_or_hash_is_never_changed(text: str) -> None:
    assert neutralise(text)[0] == text


def _outcome(*titles: str) -> Outcome:
    tests = tuple(TestResult(f"specs/{n}.spec.ts", title, "failed", 1.5) for n, title in enumerate(titles))
    verdict = Verdict(checks=(), counts={"failed": len(tests), "passed": 3}, total=len(tests) + 3, failed_tests=tests)
    return Outcome(Ending.FAILED, 1, "gate failed", "0.0.0", result=verdict, run_url="https://x.example/r")


REPORTS = {
    "json": lambda outcome: "".join(json_report.chunks(outcome)),
    "junit": lambda outcome: "".join(junit.chunks(outcome)),
    "markdown": markdown.render,
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_reports_without_a_hostile_line_pass_unchanged(name: str) -> None:
    text = REPORTS[name](_outcome("checkout: pays #12 [visa]", "C:: drive", "a ## b", "::in the middle"))
    assert guard_all(text) == text


def test_a_hostile_title_in_json_and_junit_is_cut_and_the_document_stays_valid() -> None:
    # JSON escapes line ends, so only `##[` can reach a line there; JUnit's text keeps them raw.
    outcome = _outcome("a\n::error::PWN", "b ##[set-output name=x]PWN", "c\r::stop-commands::PWN")
    document = guard_all(REPORTS["json"](outcome))
    titles = [test["title"] for test in json.loads(document)["failed_tests"]]
    assert titles == ["a\n::error::PWN", "b ## [set-output name=x]PWN", "c\r::stop-commands::PWN"]
    xml = guard_all(REPORTS["junit"](outcome))
    ET.fromstring(xml.encode())  # still well-formed
    assert "\n: :error::PWN" in xml and "## [set-output" in xml and "\r: :stop-commands::PWN" in xml
    assert not [line for line in log_lines(xml) if command_in(line)]


def test_the_gates_own_commands_pass_as_they_are_each_on_a_line_of_its_own() -> None:
    out = io.StringIO()
    console = Console(out, out, "pdk_secret_##[x]_::y", github=True)
    console.mask("pdk_secret_##[x]_::y")
    console.out.write("half a line: ")  # a line left open: the next command starts a line of its own
    console.command("::group::Waiting for run kftwnab")
    console.print("::error::PWN")
    console.command("::endgroup::")
    found = commands(out.getvalue())
    assert [(command.name, command.rest) for _line, command in found] == [
        ("add-mask", "pdk_secret_##[x]_::y"),
        ("group", "Waiting for run kftwnab"),
        ("endgroup", ""),
    ]
    assert ": :error::PWN\n" in out.getvalue()


def test_a_command_of_several_lines_is_none_of_the_gates_and_passes_the_guard_whole() -> None:
    out = io.StringIO()
    GuardedStream(out).command("::notice::x\n::error::PWN")
    assert not commands(out.getvalue())


def test_the_guard_is_one_per_stream_and_a_stream_written_twice_shares_its_line() -> None:
    out = io.StringIO()
    first = guarded(out)
    assert guarded(first) is first
    second = guarded(out, first)
    assert second.line is first.line
    first.write(":")
    second.write(":error::x\n")
    assert out.getvalue() == ": :error::x\n"


@contextmanager
def a_pipe() -> Iterator[tuple[int, list[bytes]]]:
    """A real pipe read to its end: its write end, and what was read."""
    read, write = os.pipe()
    got: list[bytes] = []

    def drain() -> None:
        while chunk := os.read(read, 65536):
            got.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield write, got
    finally:
        os.close(write)
        reader.join(5)
        os.close(read)


def test_a_report_written_through_to_the_consoles_pipe_continues_its_line() -> None:
    with a_pipe() as (write, got):
        console_stream = open(os.dup(write), "w", encoding="utf-8")  # noqa: SIM115 - closed below
        report = open(os.dup(write), "w", encoding="utf-8")  # noqa: SIM115 - another name for the same pipe
        try:
            console = guarded(console_stream)
            console.write("  :")
            through = guarded_if_output(report, console)
            assert isinstance(through, GuardedStream) and through.line is console.line
            through.write(":stop-commands::PWN\n")
            console.write("::error::PWN\n")
        finally:
            console_stream.close()
            report.close()
    written = b"".join(got).decode()
    assert written == "  : :stop-commands::PWN\n: :error::PWN\n"
    assert not commands(written)


def test_a_report_written_through_elsewhere_is_not_touched(tmp_path) -> None:
    with a_pipe() as (write, _got), open(tmp_path / "other.txt", "w", encoding="utf-8") as other:
        console = guarded(open(os.dup(write), "w", encoding="utf-8"))  # noqa: SIM115 - closed below
        try:
            assert guarded_if_output(other, console) is other
        finally:
            console.stream.close()
