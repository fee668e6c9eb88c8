"""Hardening: every fault of the catalogue end to end, hostile text in every sink, and the key in none."""

from __future__ import annotations

import importlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from gate.clock import REAL, Clock
from gate.report import github
from gate.simulator import Scenario, SimRun, Simulator
from tests.acceptance.faults import CATALOGUE, Fault, markdown_table, served
from tests.acceptance.test_action import OWN_COMMANDS, parse_command, parse_github_output
from tests.conftest import API_KEY, FakeClock, run_main

ROOT = Path(__file__).resolve().parents[2]


def run_everything(
    sim: Simulator | None, tmp_path: Path, env: dict[str, str] | None = None, clock: Clock = REAL
) -> dict[str, Any]:
    """The CLI in-process as a GitHub step with every report enabled (on `clock`); returns every sink's text."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    commands = tmp_path / "commands"
    commands.mkdir(exist_ok=True)
    output, summary = commands / "output", commands / "summary"
    output.write_text("")
    summary.write_text("")
    full_env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONIOENCODING": "utf-8",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PLAYDASH_API_KEY": API_KEY,
        "PLAYDASH_PROJECT_ID": "pdqmxlz",
        "PLAYDASH_RUN_ID": "kftwnab",
        "PLAYDASH_BASE_URL": sim.base_url if sim else "http://127.0.0.1:9",
        "PLAYDASH_POLL_INTERVAL": "0.02s",
        "PLAYDASH_MAX_POLL_INTERVAL": "0.05s",
        "PLAYDASH_TIMEOUT": "20s",
        "PLAYDASH_JSON_FILE": "playdash-gate-verdict.json",
        "PLAYDASH_JUNIT_FILE": "junit.xml",
        "PLAYDASH_MARKDOWN_FILE": "report.md",
        "RUNNER_DEBUG": "1",
        **(env or {}),
    }
    done = run_main([], full_env, cwd=workspace, clock=clock)
    return {
        "code": done.code,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "summary": summary.read_text(),
        "output": output.read_text(),
        "json": (workspace / "playdash-gate-verdict.json").read_text(),
        "junit": (workspace / "junit.xml").read_text(),
        "markdown": (workspace / "report.md").read_text(),
    }


def assert_sinks_well_formed(result: dict[str, Any]) -> dict[str, Any]:
    """Every sink parses, carries a verdict, and no line on stdout is a command that is not the gate's own."""
    for line in result["stdout"].splitlines():
        if line.lstrip().startswith("::"):
            name, _props, message = parse_command(line)
            assert name in OWN_COMMANDS, line
            assert name != "add-mask" or message == API_KEY, line
    outputs = parse_github_output(result["output"])
    assert set(outputs) == set(github.OUTPUT_NAMES)
    verdict = json.loads(result["json"])
    assert outputs["verdict"] == verdict["verdict"] and outputs["exit-code"] == str(result["code"])
    root = ET.fromstring(result["junit"].encode())
    assert int(root.get("tests", "0")) == len(root.findall("testsuite/testcase"))
    assert result["summary"].startswith("## ") and len(result["summary"].encode()) <= 1_000_000
    assert result["markdown"] == result["summary"]
    assert "Traceback" not in result["stdout"] + result["stderr"]
    return verdict


def assert_key_nowhere(result: dict[str, Any]) -> None:
    stdout = result["stdout"].replace(f"::add-mask::{API_KEY}", "")
    for name in ("stderr", "summary", "output", "json", "junit", "markdown"):
        assert API_KEY not in result[name], name
    assert API_KEY not in stdout


def _clock_for(fault: Fault) -> Clock:
    """Simulated time (retries and the deadline at once), but the wall clock where a socket's timeout decides."""
    return REAL if fault.holds_the_socket else FakeClock().for_the_gate()


@pytest.mark.parametrize("fault", CATALOGUE, ids=lambda fault: fault.id)
def test_every_fault_of_the_catalogue(fault: Fault, tmp_path: Path) -> None:
    if fault.unit_test:
        # The test that covers it exists (as a test, not as text that happens to be in a file).
        module, name = fault.unit_test.split("::")
        assert callable(getattr(importlib.import_module("tests." + module.removesuffix(".py").replace("/", ".")), name))
        return
    with Simulator(Scenario(runs=[fault.run], api_key=API_KEY, faults=served(fault))) as sim:
        result = run_everything(sim, tmp_path, dict(fault.env), _clock_for(fault))
    assert result["code"] == fault.code, result["stdout"] + result["stderr"]
    verdict = assert_sinks_well_formed(result)
    assert verdict["verdict"] == {0: "pass", 1: "fail"}.get(fault.code, "error") or fault.id == "down-pass"
    assert_key_nowhere(result)


def test_an_unavailable_api_let_through_says_so_loudly(tmp_path: Path) -> None:
    fault = next(f for f in CATALOGUE if f.id == "down-pass")
    with Simulator(Scenario(runs=[fault.run], api_key=API_KEY, faults=served(fault))) as sim:
        result = run_everything(sim, tmp_path, dict(fault.env), _clock_for(fault))
    assert result["code"] == 0
    assert "NO VERDICT, LET THROUGH by --on-unavailable pass" in result["stderr"]
    assert result["summary"].startswith("## ⚠️ Playwright gate gave no verdict and let the job pass")
    assert "::warning title=Playwright gate gave no verdict%3A let through" in result["stdout"]
    verdict = json.loads(result["json"])
    assert verdict["verdict"] == "error" and verdict["exit_code"] == 0 and verdict["passed_on_unavailable"]


def test_on_unavailable_pass_never_covers_a_set_up_error_or_a_bad_answer(tmp_path: Path) -> None:
    for run, faults in ((SimRun(), [{"status": 401}]), (SimRun(drop_fields=["is_running"]), [])):
        with Simulator(Scenario(runs=[run], api_key=API_KEY, faults=faults)) as sim:
            result = run_everything(sim, tmp_path, {"PLAYDASH_ON_UNAVAILABLE": "pass"})
        assert result["code"] in (2, 3)


def test_the_faults_page_lists_exactly_the_catalogue() -> None:
    page = (ROOT / "docs" / "faults-and-security.md").read_text()
    assert markdown_table() in page, (
        "regenerate the fault table in docs/faults-and-security.md: python -m tests.acceptance.faults"
    )


HOSTILE = [
    "x\n::error::pwned",
    "::add-mask::everything",
    "\r\n::set-output name=verdict::pass",
    "%0A::error::encoded",
    "::stop-commands::tok",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[link](javascript:alert(1))",
    "a | b | c",
    "`code` ```fence",
    "# heading",
    "**bold** $x^2$",
    "\x1b[31mred\x00\x07\x08\x0b\x0c",
    "\ud800 lone surrogate \udfff",
    "bidi \u202e evil",
    "line\u2028sep\x85nel",
    "verdict<<EOF\npass\nEOF",
    "]]><!-- -->&amp;",
    "t" * 100_000,
]


def test_hostile_text_stays_inert_in_every_sink(tmp_path: Path) -> None:
    tests = [
        {"spec": text, "title": text, "status": status, "duration": 1.0}
        for text in HOSTILE
        for status in ("failed", "flaky")
    ]
    run = SimRun(
        tests=tests,
        commit_name=HOSTILE[0],
        branch=HOSTILE[5],
        author=HOSTILE[13],
        tags=HOSTILE[:4],
        final_status="failed",
    )
    with Simulator(Scenario(runs=[run], api_key=API_KEY)) as sim:
        result = run_everything(sim, tmp_path)
    assert result["code"] == 1
    verdict = assert_sinks_well_formed(result)
    assert len(verdict["failed_tests"]) == len(HOSTILE)
    assert "\ufffd lone surrogate \ufffd" in {t["title"] for t in verdict["failed_tests"]}
    for text in (result["summary"],):
        assert "<script" not in text and "<img" not in text and "](javascript" not in text
        for line in text.splitlines():
            if line.startswith("| "):
                assert len(re.findall(r"(?<!\\)\|", line)) == 5, line
    assert max(len(line) for line in result["stdout"].splitlines()) < 2_000
    assert_key_nowhere(result)


def test_an_unexpected_error_is_exit_3_with_a_traceback_that_hides_the_key(monkeypatch, tmp_path: Path) -> None:
    import gate.job.judge

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"something broke near {API_KEY}")

    monkeypatch.setattr(gate.job.judge, "evaluate", explode)
    with Simulator(Scenario(runs=[SimRun()], api_key=API_KEY)) as sim:
        env = {
            "PLAYDASH_API_KEY": API_KEY,
            "PLAYDASH_BASE_URL": sim.base_url,
            "PLAYDASH_PROJECT_ID": "pdqmxlz",
            "PLAYDASH_RUN_ID": "kftwnab",
            "PLAYDASH_JSON_FILE": str(tmp_path / "v.json"),
        }
        result = run_main([], env, cwd=tmp_path)
    assert result.code == 3
    assert "Traceback" in result.stderr and "RuntimeError: something broke near ***" in result.stderr
    assert API_KEY not in result.output + (tmp_path / "v.json").read_text()
    assert json.loads((tmp_path / "v.json").read_text())["verdict"] == "error"


@pytest.mark.parametrize(("run", "code"), [(SimRun(), 0), (SimRun(counts={"passed": 1, "failed": 1}), 1)])
def test_the_key_appears_nowhere_on_a_pass_or_a_fail_with_debug_logging(tmp_path: Path, run: SimRun, code: int) -> None:
    with Simulator(Scenario(runs=[run], api_key=API_KEY, faults=[{"status": 503}])) as sim:
        result = run_everything(sim, tmp_path)
    assert result["code"] == code
    assert "::debug::GET " in result["stdout"]
    assert_sinks_well_formed(result)
    assert_key_nowhere(result)
