"""Every byte on the runner: main() in-process, its stdout and stderr real pipes (fd 1 and 2), every report
written to them under each of their names, hostile test titles from the simulator over real HTTP.

After the runner's own line splitting, no line outside the gate's own commands is read as a command, and
the gate's own (the mask, the group, the annotations) still are.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from gate.cli import guard
from gate.simulator import SimRun
from tests.actions_runner import Command, command_in, commands, log_lines
from tests.conftest import API_KEY, gate_env, run_main

# A title for each way to start a command; each carries PWN where a command would begin.
HOSTILE_TITLES = [
    "pays\n::error::PWN-newline",
    "pays\r::add-mask::PWN-return",
    "pays\r\n::stop-commands::PWN-token",
    "::PWN-token::",
    "pays ##[set-output name=verdict]PWN-legacy",
    "pays\n  \t::warning::PWN-indented",
    "pays\n\u3000\u00a0::notice::PWN-unicode-space",
    "pays\n\u200b::error::PWN-zero-width",
    "pays\n:\u200b:error::PWN-split-marker",
    "pays\n#\u200b#[error]PWN-split-legacy",
]
HOSTILE_TESTS = [
    *({"spec": "checkout.spec.ts", "title": title, "status": "failed", "duration": 1.0} for title in HOSTILE_TITLES),
    {"spec": "cart\n::error::PWN-spec.spec.ts", "title": "adds", "status": "flaky", "duration": 1.0},
    {"spec": "cart.spec.ts", "title": "works", "status": "passed", "duration": 1.0},
]
OWN_NAMES = {"add-mask", "group", "endgroup", "error", "warning", "notice", "debug"}


@dataclass
class Streams:
    """What the process wrote to fd 1 and fd 2, as the runner reads them."""

    stdout: str
    stderr: str


@contextmanager
def process_streams() -> Iterator[tuple[io.TextIOWrapper, io.TextIOWrapper, list[Streams]]]:
    """fd 1 and fd 2 made real pipes for the test (read to their end by threads); text streams on them."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    got: list[list[bytes]] = [[], []]
    readers = []
    for index in (0, 1):
        read, write = os.pipe()
        os.dup2(write, index + 1)
        os.close(write)

        def drain(read: int = read, into: list[bytes] = got[index]) -> None:
            while chunk := os.read(read, 65536):
                into.append(chunk)
            os.close(read)

        readers.append(threading.Thread(target=drain, daemon=True))
        readers[-1].start()
    out = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - fd 1 itself
    err = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - fd 2 itself
    result: list[Streams] = []
    try:
        yield out, err, result
    finally:
        out.flush()
        err.flush()
        for index in (0, 1):
            os.dup2(saved[index], index + 1)  # the pipe's last write end closes: its reader sees the end
            os.close(saved[index])
        for reader in readers:
            reader.join(10)
        result.append(Streams(*(b"".join(chunks).decode("utf-8", "replace") for chunks in got)))


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every line the gate wrote as its own command (the guard's one way through)."""
    lines: list[str] = []
    real = guard.GuardedStream.command

    def spy(self: guard.GuardedStream, line: str) -> None:
        lines.append(line)
        real(self, line)

    monkeypatch.setattr(guard.GuardedStream, "command", spy)
    return lines


def run_on_pipes(tmp_path: Path, sim: object, **extra: str) -> tuple[int, Streams]:
    env = {
        **gate_env(sim),  # type: ignore[arg-type]
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_STEP_SUMMARY": "",
        **extra,
    }
    with process_streams() as (out, err, result):
        code = run_main([], env, cwd=tmp_path, streams=(out, err)).code
    return code, result[0]


def assert_only_own_commands(streams: Streams, trusted: list[str]) -> list[Command]:
    """No line of either stream reads as a command unless the gate wrote it as its own; those returned."""
    found = []
    for text in (streams.stdout, streams.stderr):
        for line, command in commands(text):
            assert line in trusted, f"a command the gate did not issue reached the log: {line!r}"
            assert command.name in OWN_NAMES and not command.legacy, line
            found.append(command)
    assert "PWN" in streams.stdout + streams.stderr  # the hostile text is there, cut, not dropped
    return found


REPORT_FLAGS = {
    "JSON verdict": "PLAYDASH_JSON_FILE",
    "JUnit report": "PLAYDASH_JUNIT_FILE",
    "Markdown report": "PLAYDASH_MARKDOWN_FILE",
    "step summary": "GITHUB_STEP_SUMMARY",
    "outputs": "GITHUB_OUTPUT",
}
NAMES = ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/2"]


@pytest.mark.parametrize("where", NAMES)
@pytest.mark.parametrize("report", sorted(REPORT_FLAGS))
def test_every_report_written_to_the_processs_own_streams_passes_the_guard(
    simulator, trusted: list[str], tmp_path: Path, report: str, where: str
) -> None:
    sim = simulator(SimRun(tests=HOSTILE_TESTS, final_status="failed"))
    code, streams = run_on_pipes(tmp_path, sim, **{REPORT_FLAGS[report]: where})
    assert code == 1
    assert f"could not write the {report}" not in streams.stderr
    own = assert_only_own_commands(streams, trusted)
    # The gate's own commands still work: the key masked first, the polls folded, the tests annotated.
    assert [(c.name, c.rest) for c in own if c.name == "add-mask"] == [("add-mask", API_KEY)]
    assert any(c.name == "group" and c.rest.startswith("Waiting for run kftwnab") for c in own)
    failed = [c for c in own if c.name == "error" and c.rest.startswith("Failed: ")]
    assert failed and all("file=checkout.spec.ts" in line for line in trusted if "::Failed: " in line)
    assert sum(1 for c in own if c.name == "endgroup") == 1


def test_all_reports_at_once_on_both_streams_and_each_stays_readable(
    simulator, trusted: list[str], tmp_path: Path
) -> None:
    # JSON alone on stderr, and the Markdown report beside the same text in a file: what the guard changed
    # in them is a space before a `:` or `[` of a hostile title, no more.
    sim = simulator(SimRun(tests=HOSTILE_TESTS, final_status="failed"))
    code, streams = run_on_pipes(
        tmp_path,
        sim,
        PLAYDASH_JSON_FILE="/dev/stderr",
        PLAYDASH_JUNIT_FILE="/dev/stdout",
        PLAYDASH_MARKDOWN_FILE="/proc/self/fd/1",
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
    )
    assert code == 1
    assert_only_own_commands(streams, trusted)
    verdict = json.loads(streams.stderr)
    titles = [test["title"] for test in verdict["failed_tests"]]
    assert "pays ## [set-output name=verdict]PWN-legacy" in titles  # the one cut JSON needed
    assert "pays\n::error::PWN-newline" in titles  # JSON escapes line ends: nothing to cut
    junit = streams.stdout[streams.stdout.index("<?xml") : streams.stdout.index("</testsuites>") + 13]
    cases = ET.fromstring(junit.encode()).iterfind(".//testcase[@classname='checkout.spec.ts']")
    assert len(list(cases)) == len(HOSTILE_TITLES)
    assert "pays\n: :error::PWN-newline" in junit
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary in streams.stdout  # Markdown escapes every title: nothing of it was cut


def test_reports_without_a_hostile_line_reach_the_log_as_they_are(simulator, trusted: list[str], tmp_path) -> None:
    sim = simulator(SimRun(counts={"passed": 5, "failed": 2, "flaky": 1}))
    code, streams = run_on_pipes(
        tmp_path,
        sim,
        PLAYDASH_JSON_FILE="/dev/stderr",
        PLAYDASH_MARKDOWN_FILE="/dev/stdout",
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
    )
    assert code == 1
    assert json.loads(streams.stderr)["verdict"] == "fail"
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") in streams.stdout
    assert [line for line in log_lines(streams.stdout) if command_in(line)] == trusted


def test_help_and_flag_errors_go_through_the_streams_given(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        run_main(["--help"], {}, streams=(out, err))
    assert "usage: playdash-gate" in out.getvalue()
    result = run_main(["--timeout", "x\n::error::PWN", "--summary-file", tmp_path / "s.md"], {}, cwd=tmp_path)
    assert result.code == 2
    assert "PWN" in result.stderr and not commands(result.stderr) and not commands(result.stdout)
