"""The simulator's own surface: scenario files are read strictly, and `python -m gate.simulator` runs."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gate.simulator import Scenario, SimRun, Simulator
from tests.conftest import gate_env


def get_run(base_url: str, run_id: str, api_key: str) -> Any:
    """The Get run answer's JSON, over plain http.client (no proxy settings apply on loopback)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", f"/api/external/v1/projects/pdqmxlz/runs/{run_id}", headers={"X-Api-Key": api_key})
        answer = connection.getresponse()
        assert answer.status == 200
        return json.loads(answer.read())
    finally:
        connection.close()


def test_a_scenario_file_builds_its_runs() -> None:
    scenario = Scenario.from_dict(
        {"runs": [{"run_id": "a", "finish_after_polls": 2}, {"run_id": "b"}], "api_key": "k", "latency": 0.5}
    )
    assert [run.run_id for run in scenario.runs] == ["a", "b"]
    assert scenario.runs[0].finish_after_polls == 2
    assert (scenario.api_key, scenario.latency) == ("k", 0.5)
    assert Scenario.from_dict({}).runs == [SimRun()]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"runs": [{"finsh_after_polls": 3}]},
            "runs[0].finsh_after_polls: unknown key; did you mean `finish_after_polls`?",
            id="run-typo",
        ),
        pytest.param(
            {"runs": [{}, {"run_id": "b", "tag": ["x"]}]},
            "runs[1].tag: unknown key; did you mean `tags`?",
            id="second-run",
        ),
        pytest.param(
            {"fault_rat": 0.5},
            "fault_rat: unknown key; did you mean `fault_rate`?",
            id="scenario-typo",
        ),
        pytest.param(
            {"runs": [{"specz": 1, "count": {}}]},
            "runs[0].specz: unknown key; did you mean `specs`?; runs[0].count: unknown key; did you mean `counts`?",
            id="two-typos",
        ),
        pytest.param({"runs": {"run_id": "a"}}, "runs: expected a list, got an object", id="runs-not-a-list"),
        pytest.param(
            {"runs": ["kftwnab"]}, "runs[0]: expected an object, got a text 'kftwnab'", id="run-not-an-object"
        ),
        pytest.param([{"run_id": "a"}], "the scenario: expected an object, got a list", id="scenario-not-an-object"),
        pytest.param(
            {"runs": [{"specs": "8"}]},
            "runs[0].specs: expected a whole number from 0 to 1000000, got a text '8'",
            id="type",
        ),
        pytest.param(
            {"runs": [{"counts": {"passed": 3, "faild": 1}}]},
            "runs[0].counts.faild: unknown key; did you mean `failed`?",
            id="status-typo",
        ),
        pytest.param(
            {"runs": [{"tests": [{"spec": "a.spec.ts", "title": "t", "status": "timed out"}]}]},
            "runs[0].tests[0].status: expected one of passed, failed, flaky, skipped, timed_out, interrupted, timedOut",
            id="test-status",
        ),
        pytest.param(
            {"runs": [{"tests": [{"spec": "a.spec.ts", "status": "passed"}]}]},
            "runs[0].tests[0].title: missing (required)",
            id="test-without-title",
        ),
        pytest.param({"faults": [{"status": "503"}]}, "faults[0].status: expected an HTTP status", id="fault-type"),
        pytest.param(
            {"faults": [{"stauts": 503}]}, "faults[0].stauts: unknown key; did you mean `status`?", id="fault-typo"
        ),
        pytest.param(
            {"latency": True}, "latency: expected a number of seconds from 0 to 86400, got a boolean", id="bool"
        ),
        pytest.param({"fault_rate": 2}, "fault_rate: expected a number from 0 to 1, got a number 2", id="rate"),
        pytest.param({"demo": {"runid": "a"}}, "demo.runid: unknown key; did you mean `run_id`?", id="demo"),
    ],
)
def test_a_scenario_with_a_mistake_is_refused_naming_the_key(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Scenario.from_dict(data)


def test_a_run_alone_names_its_unknown_key() -> None:
    with pytest.raises(
        ValueError, match="^" + re.escape("finsh_after_polls: unknown key; did you mean `finish_after_polls`?") + "$"
    ):
        SimRun.from_dict({"finsh_after_polls": 3})


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gate.simulator ARGS`, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "gate.simulator", *args], check=False, capture_output=True, text=True, timeout=30
    )


def test_the_command_explains_itself() -> None:
    result = run_module("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m gate.simulator")
    assert "A local fake of NeetoPlaydash's Get run API" in result.stdout
    for flag in ("--host", "--port", "--scenario", "--latency"):
        assert flag in result.stdout


def test_the_command_refuses_a_scenario_with_a_typo_without_a_traceback(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"runs": [{"finsh_after_polls": 3}]}))
    result = run_module("--port", "0", "--scenario", str(scenario))
    assert result.returncode == 2
    assert "runs[0].finsh_after_polls: unknown key; did you mean `finish_after_polls`?" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_serves_its_scenario_until_interrupted(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"runs": [{"run_id": "abc"}], "api_key": "k"}))
    with subprocess.Popen(
        [sys.executable, "-m", "gate.simulator", "--port", "0", "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Started with SIGINT ignored, as a script's background job (or a test runner's worker) is.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert banner.startswith("simulator on http://127.0.0.1:"), banner
            base_url = banner.split()[2]
            assert get_run(base_url, "abc", "k")["run_id"] == "abc"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_the_simulator_answers_as_a_context_manager() -> None:
    with Simulator(Scenario(api_key="k")) as simulator:
        body = get_run(simulator.base_url, "kftwnab", "k")
    assert body["is_running"] is False
    assert body["pagination"]["total_records"] == 8
    assert [request["key_ok"] for request in simulator.requests] == [True]


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        # Scripted oddities the checker lets through are served, never a crash in the request thread.
        ({"fault_rate": 0.9, "random_faults": []}, 0),
        ({"faults": [{"raw": "\ud800 not UTF-8"}]}, 0),  # retried like any garbled answer
        ({"runs": [{"final_patch": {"pagination": "x"}}]}, 3),  # an answer the gate refuses as unusable
    ],
    ids=["rate-without-faults", "lone-surrogate", "pagination-not-an-object"],
)
def test_odd_scenarios_are_served_not_crashed(
    run_cli, capsys: pytest.CaptureFixture[str], scenario: dict, code: int, tmp_path: Path
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"api_key": "k", **scenario}))
    with Simulator(Scenario.from_file(path)) as sim:
        result = run_cli(env={**gate_env(sim), "PLAYDASH_API_KEY": "k", "PLAYDASH_TIMEOUT": "20s"})
    assert result.code == code, result.output
    # A request handler that crashed would have printed its traceback (socketserver's handle_error).
    assert "Traceback" not in capsys.readouterr().err
