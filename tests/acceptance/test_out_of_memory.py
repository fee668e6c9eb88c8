"""Running out of memory anyway ends the gate as no verdict (exit 3), with a message and every report, never a
traceback: wherever the MemoryError is raised (the main thread, a thread fetching pages or histories, a sink,
the comment's thread, or past the error boundary). It is injected here at each of those points."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate import cli
from gate.model import parse_page
from gate.simulator import SimRun
from tests.acceptance.github_fake import REPO, TOKEN, fake_github
from tests.conftest import CliResult, gate_env

OUT_OF_MEMORY = "the gate ran out of memory"
# Three pages of failed tests and one of flaky ones: fetched by the pool's threads.
PAGED = SimRun(counts={"passed": 10, "failed": 250, "flaky": 5}, specs=250)


def failing_on(target: Callable[..., Any], when: Callable[..., bool]) -> Callable[..., Any]:
    """`target`, except that it runs out of memory when `when(*args)` says so."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            raise MemoryError
        return target(*args, **kwargs)

    return wrapped


def assert_no_verdict_said(result: CliResult) -> None:
    assert result.code == 3, result.output
    assert "Traceback" not in result.output and "this is a bug" not in result.output
    verdict = result.verdict  # every report is still written
    assert verdict["verdict"] == "error" and verdict["exit_code"] == 3
    assert verdict["message"].startswith(f"{OUT_OF_MEMORY} before it reached a verdict (MemoryError)")
    assert OUT_OF_MEMORY in result.stdout + result.summary


@pytest.mark.parametrize(
    ("where", "patch"),
    [
        ("reading the config", ("gate.config.reader.load_yaml", None)),
        ("reading a poll's answer", ("gate.client.parse", "first")),
        ("a thread fetching page 2", ("gate.job.gather.parse_page", "page 2")),
    ],
)
def test_out_of_memory_in_the_job_gives_no_verdict_and_every_report(
    run_cli, simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, patch: tuple[str, str | None]
) -> None:
    name, when = patch
    config = tmp_path / "gate.yml"
    config.write_text("thresholds: {failed: 1000, flaky: 1000}\n")
    if when is None:
        monkeypatch.setattr(name, failing_on(lambda *_a: None, lambda *_a: True))
    elif when == "first":
        from gate import client

        monkeypatch.setattr(name, failing_on(client.parse, lambda *_a: True))
    else:
        monkeypatch.setattr(name, failing_on(parse_page, lambda _data, number: number == 2))
    sim = simulator(PAGED)
    result = run_cli("--config", str(config), env=gate_env(sim))
    assert_no_verdict_said(result)


def test_out_of_memory_in_a_history_lookup_gives_no_verdict(
    run_cli, simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.job import gather

    config = tmp_path / "gate.yml"
    config.write_text("history:\n  branch: main\n  forgive: [flaky]\n")
    monkeypatch.setattr(gather, "parse_history", failing_on(gather.parse_history, lambda *_a: True))
    sim = simulator(SimRun(counts={"passed": 10, "failed": 3}))
    result = run_cli("--config", str(config), env=gate_env(sim))
    assert_no_verdict_said(result)
    assert any(request["path"].endswith("/result_histories") for request in sim.requests)


@pytest.mark.parametrize(("sink", "module"), [("JSON verdict", "json_report"), ("JUnit report", "junit")])
def test_out_of_memory_in_a_sink_ends_with_exit_3_and_the_other_reports(
    run_cli, simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sink: str, module: str
) -> None:
    from gate.report import json_report, junit

    target = {"json_report": json_report, "junit": junit}[module]
    monkeypatch.setattr(target, "chunks", failing_on(lambda *_a: [], lambda *_a: True))
    sim = simulator(SimRun(counts={"passed": 10}))
    junit_file = tmp_path / "junit.xml"
    result = run_cli("--junit-file", str(junit_file), env=gate_env(sim))
    assert result.code == 3, result.output
    assert "Traceback" not in result.output and "this is a bug" not in result.output
    assert f"error: {OUT_OF_MEMORY} while writing the {sink} (MemoryError)" in result.stderr
    said = "no verdict (exit 3), since memory ran out while writing the reports (those written give the verdict `pass`)"
    assert said in result.stderr
    assert "gate passed" in result.summary  # the reports that could be written are
    if module == "junit":
        assert json.loads(result.json_path.read_text())["verdict"] == "pass"


def test_out_of_memory_in_the_comments_thread_ends_with_exit_3(
    run_cli, simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.cli import comment

    monkeypatch.setattr(comment, "write", failing_on(comment.write, lambda *_a, **_k: True))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    with fake_github() as github:
        env = gate_env(
            simulator(SimRun(counts={"passed": 10, "failed": 1})),
            GITHUB_ACTIONS="true",
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=REPO,
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_TOKEN=TOKEN,
            PLAYDASH_COMMENT="always",
        )
        result = run_cli(env=env)
    assert result.code == 3, result.output
    assert "Traceback" not in result.output and "this is a bug" not in result.output
    assert f"{OUT_OF_MEMORY} while writing the pull request comment (MemoryError)" in result.stderr
    assert result.verdict["verdict"] == "fail"  # the reports after the comment are written, as they were


def test_out_of_memory_past_the_error_boundary_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def exit_now(code: int) -> None:
        raise SystemExit(code)

    monkeypatch.setattr(cli, "main", failing_on(cli.main, lambda *_a: True))
    monkeypatch.setattr(cli.os, "_exit", exit_now)
    with pytest.raises(SystemExit) as ended:
        cli.console_main()
    assert ended.value.code == 3
    err = capsys.readouterr().err
    assert f"playdash-gate: {OUT_OF_MEMORY} before its reports were written (MemoryError)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("thread", ["pages", "comment"])
def test_no_room_for_a_thread_gives_no_verdict_as_memory_running_out(
    run_cli, simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thread: str
) -> None:
    """Under `ulimit -v` a thread may not start (RuntimeError: can't start new thread), wherever the gate starts
    one (the page pool, `Deadline.within`): the same message and exit 3 as a MemoryError, never a traceback."""
    import threading

    start = threading.Thread.start

    def refused(self: threading.Thread) -> None:
        if self.name.startswith(thread):
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", refused)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    with fake_github() as github:
        env = gate_env(
            simulator(PAGED),
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=REPO,
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_TOKEN=TOKEN,
            PLAYDASH_COMMENT="always",
        )
        result = run_cli("--config", str(_lenient(tmp_path)), env=env)
    if thread == "pages":
        assert_no_verdict_said(result)
    else:  # the verdict was reached: the comment's sink ran out, as any sink may
        assert result.code == 3, result.output
        assert "Traceback" not in result.output and "this is a bug" not in result.output
        assert "since memory ran out while writing the reports" in result.stderr


def _lenient(tmp_path: Path) -> Path:
    config = tmp_path / "gate.yml"
    config.write_text("thresholds: {failed: 1000, flaky: 1000}\n")
    return config
