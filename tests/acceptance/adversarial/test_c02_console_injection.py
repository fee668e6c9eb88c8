"""Class 2: no text from outside can start a line on the runner, so none can inject a workflow command.

The runner ends a line at `\\n` and at a bare `\\r`; other readers of a log take NEL, U+2028, U+2029 and
the other vertical controls as line ends too. Every source of text is tried with each of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import API, RUN_PATH, Reply, Request, hostile, run_body, run_gate, spec

INJECTED = "::warning::INJECTED"
# Everything str.splitlines() takes as a line end, except the "\n" the gate ends its own lines with.
LINE_ENDS = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
_OTHER_LINE_ENDS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def assert_no_injection(*streams: str) -> None:
    """No line starts with the injected command, and no line end but `\\n` reaches the log at all."""
    for text in streams:
        assert not _OTHER_LINE_ENDS.search(text), repr(_OTHER_LINE_ENDS.search(text))
        for line in text.splitlines():
            assert not line.lstrip().startswith(INJECTED), line
        # Nothing of ours is a command that did not start with one of our own names.
        for line in text.split("\n"):
            if line.startswith("::"):
                name = line[2:].split("::", 1)[0].split(" ", 1)[0]
                assert name in {"add-mask", "group", "endgroup", "error", "warning", "notice", "debug"}, line
                assert not line.startswith(INJECTED)


def hostile_text(end: str) -> str:
    return f"x{end}{INJECTED}{end}"


@pytest.mark.parametrize("end", LINE_ENDS)
def test_run_ids_from_list_runs_are_checked_as_ids(tmp_path: Path, end: str) -> None:
    def handler(request: Request) -> Reply:
        if request.path == f"{API}/projects/pdqmxlz/runs":
            runs = [{"run_id": f"r1{end}{INJECTED}", "ci_build_id": "b-1", "is_running": False, "branch": "main"}]
            return Reply(body={"runs": runs, "pagination": {"total_pages": 1}})
        return Reply(body=run_body())

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-1"})
    assert result.code == 3
    assert "run_id" in result.verdict["message"]
    assert_no_injection(result.stdout, result.stderr)
    # The hostile id never became the run's id: nothing was fetched with it.
    assert all("INJECTED" not in request.path for request in server.requests)


@pytest.mark.parametrize("end", LINE_ENDS)
def test_a_baseline_run_id_that_is_not_an_id_is_not_used(tmp_path: Path, end: str) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("baseline:\n  branch: main\n")

    def handler(request: Request) -> Reply:
        if request.path == f"{API}/projects/pdqmxlz/runs":
            runs = [{"run_id": f"base{end}{INJECTED}", "branch": "main", "is_running": False}]
            return Reply(body={"runs": runs, "pagination": {"total_pages": 1}})
        return Reply(body=run_body())

    with hostile(handler) as server:
        result = run_gate(tmp_path, "--config", str(config), base_url=server.url)
    assert result.code == 0
    assert "no finished run on the baseline branch" in result.summary
    assert_no_injection(result.stdout, result.stderr)


@pytest.mark.parametrize("end", LINE_ENDS)
def test_every_text_field_of_an_answer_is_inert(tmp_path: Path, end: str) -> None:
    evil = hostile_text(end)
    body = run_body(
        status="failed",
        counts={"passed": 1, "failed": 1},
        specs=[spec(f"spec{evil}.ts", (f"title{evil}", "failed"))],
        commit_name=evil,
        branch=evil,
        author=evil,
        tags=[evil],
        ci_build_id=evil,
    )
    body["run_statistics"].append({"name": f"Odd{evil}", "value": 1})

    with hostile(lambda _request: Reply(body=body)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"GITHUB_HEAD_REF": evil})
    assert result.code == 1
    assert_no_injection(result.stdout, result.stderr)


@pytest.mark.parametrize("end", LINE_ENDS)
def test_an_unknown_status_and_an_error_body_are_inert(tmp_path: Path, end: str) -> None:
    evil = hostile_text(end)
    with hostile(lambda _request: Reply(body=run_body(status=f"weird{evil}"))) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1
    assert_no_injection(result.stdout, result.stderr)

    with hostile(lambda _request: Reply(status=401, body={"error": evil, "errors": [evil]})) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 2
    assert_no_injection(result.stdout, result.stderr)


@pytest.mark.parametrize("end", LINE_ENDS)
def test_a_saved_file_is_as_untrusted_as_an_answer(tmp_path: Path, end: str) -> None:
    evil = hostile_text(end)
    saved: dict[str, Any] = run_body(
        status="failed",
        counts={"failed": 1},
        specs=[spec(evil, (evil, "failed"))],
        run_id=f"r1{evil}",
        project_id=f"p1{evil}",
        branch=evil,
    )
    path = tmp_path / "run.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    result = run_gate(tmp_path, "--from-file", str(path), env={"PLAYDASH_RUN_ID": "", "PLAYDASH_PROJECT_ID": ""})
    assert result.code == 1
    assert_no_injection(result.stdout, result.stderr)
    assert result.verdict["run_id"] is None


@pytest.mark.parametrize("code", [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029])
def test_every_control_and_separator_character_in_a_title(tmp_path: Path, code: int) -> None:
    evil = f"a{chr(code)}{INJECTED}"
    body = run_body(status="failed", counts={"failed": 1}, specs=[spec("s.ts", (evil, "failed"))])

    def handler(request: Request) -> Reply:
        assert request.path == RUN_PATH
        return Reply(body=body)

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1
    assert_no_injection(result.stdout, result.stderr)
