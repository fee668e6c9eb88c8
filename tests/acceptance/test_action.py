"""The GitHub Action: action.yml against the code, and the CLI run in a runner-shaped environment."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.clock import REAL, Clock
from gate.report import github
from gate.settings import OPTIONS
from gate.simulator import SimRun, Simulator
from gate.simulator.library import choose
from gate.text import command_data, command_property
from tests.conftest import API_KEY, gate_env, run_main

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
OWN_COMMANDS = ("add-mask", "group", "endgroup", "error", "warning", "notice", "debug")
HOSTILE_TITLES = [
    "x\n::error::pwned",
    "::add-mask::everything",
    "\r\n::warning file=a,title=b::c",
    "100%0A::error::encoded",
    "a,b:c title=evil",
    "<script>alert(1)</script> | `x` [l](javascript:alert(1))",
    "\x1b[2J\x00\x07",
    "verdict=pass\nexit-code=0",
    "ghadelimiter_\nverdict<<EOF",
]


def parse_github_output(text: str) -> dict[str, str]:
    """`$GITHUB_OUTPUT` read with the runner's rules: `name=value` lines, or `name<<DELIM` heredocs."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            body: list[str] = []
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(body)
        elif equals > 0:
            values[line[:equals]] = line[equals + 1 :]
        else:
            raise AssertionError(f"the runner would reject this line: {line!r}")
    return values


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner parses it: name, unescaped properties, unescaped message."""
    match = re.match(r"^::([^ :]+)(?: ([^:]*))?::(.*)$", line.strip())
    assert match, line

    def unescape(text: str, prop: bool) -> str:
        text = text.replace("%0D", "\r").replace("%0A", "\n")
        if prop:
            text = text.replace("%3A", ":").replace("%2C", ",")
        return text.replace("%25", "%")

    props = {}
    for pair in (match.group(2) or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = unescape(value, True)
    return match.group(1), props, unescape(match.group(3), False)


def runner_env(sim, workspace: Path, **inputs: str) -> dict[str, str]:
    """The environment the runner gives a Docker action: every declared input set, file-command files."""
    commands = workspace.parent / "file_commands"
    commands.mkdir(exist_ok=True)
    (commands / "output").touch()
    (commands / "summary").touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONIOENCODING": "utf-8",
        "HOME": str(workspace.parent),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(commands / "output"),
        "GITHUB_STEP_SUMMARY": str(commands / "summary"),
    }
    given = {
        "api-key": API_KEY,
        "base-url": sim.base_url,
        "project-id": "pdqmxlz",
        "run-id": "kftwnab",
        "poll-interval": "0.02s",
        "max-poll-interval": "0.05s",
        "timeout": "20s",
        **inputs,
    }
    for name, spec in ACTION["inputs"].items():
        env["INPUT_" + name.upper()] = given.get(name, str((spec or {}).get("default", "")))
    return env


def run_action(sim, tmp_path: Path, clock: Clock = REAL, **inputs: str) -> dict[str, Any]:
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    env = runner_env(sim, workspace, **inputs)
    done = run_main([], env, cwd=workspace, clock=clock)
    return {
        "code": done.code,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "outputs": parse_github_output(Path(env["GITHUB_OUTPUT"]).read_text()),
        "summary": Path(env["GITHUB_STEP_SUMMARY"]).read_text(),
        "workspace": workspace,
    }


def test_action_yml_is_a_docker_action_with_the_promised_inputs_and_outputs() -> None:
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    for name in (
        "api-key",
        "subdomain",
        "base-url",
        "project-id",
        "run-id",
        "config",
        "timeout",
        "poll-interval",
        "max-poll-interval",
    ):
        assert name in ACTION["inputs"]
        assert ACTION["inputs"][name]["description"]
    assert all(isinstance(spec.get("default", ""), str) for spec in ACTION["inputs"].values())
    assert ACTION["inputs"]["config"]["default"] == ".playdash-gate.yml"
    assert set(ACTION["outputs"]) == set(github.OUTPUT_NAMES)


def test_every_declared_input_is_read_by_the_code() -> None:
    read = {option.input for option in OPTIONS if option.input} | {"demo"}
    assert set(ACTION["inputs"]) == read


def test_a_passing_run_writes_every_output_and_the_summary(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun(counts={"passed": 40, "flaky": 1, "skipped": 2}, finish_after_polls=2))
    result = run_action(sim, tmp_path)
    assert result["code"] == 0, result["stdout"] + result["stderr"]
    assert result["outputs"] == {
        "verdict": "pass",
        "exit-code": "0",
        "status": "passed",
        "total": "43",
        "passed": "40",
        "failed": "0",
        "flaky": "1",
        "skipped": "2",
        "quarantined": "0",
        "forgiven": "0",
        "new-failures": "",
        "run-url": f"{sim.base_url}/projects/pdqmxlz/runs/kftwnab",
        "json": "playdash-gate-verdict.json",
        "rerun-file": "",
        "comment-url": "",
        "runs": json.dumps(
            [
                {
                    "label": "pdqmxlz",
                    "project_id": "pdqmxlz",
                    "run_id": "kftwnab",
                    "verdict": "pass",
                    "exit_code": 0,
                    "failed": 0,
                    "flaky": 1,
                    "url": f"{sim.base_url}/projects/pdqmxlz/runs/kftwnab",
                }
            ],
            separators=(",", ":"),
        ),
    }
    assert (result["workspace"] / "playdash-gate-verdict.json").exists()
    assert result["summary"].startswith("## ✅ Playwright gate passed")
    lines = result["stdout"].splitlines()
    assert lines[0] == f"::add-mask::{API_KEY}"
    assert lines.count("::group::Waiting for run kftwnab to finish") == 1
    assert lines.count("::endgroup::") == 1
    assert lines.index("::endgroup::") > lines.index("::group::Waiting for run kftwnab to finish")
    assert any(line.startswith("::notice title=Playwright gate passed::") for line in lines)


def test_a_failing_run_annotates_within_the_caps(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun(counts={"passed": 5, "failed": 25, "flaky": 14}))
    result = run_action(sim, tmp_path)
    assert result["code"] == 1
    assert result["outputs"]["verdict"] == "fail" and result["outputs"]["failed"] == "25"
    commands = [parse_command(line) for line in result["stdout"].splitlines() if line.startswith("::")]
    errors = [c for c in commands if c[0] == "error"]
    warnings = [c for c in commands if c[0] == "warning"]
    assert len(errors) == 10 and len(warnings) == 10
    assert errors[0][1]["title"] == "Playwright gate failed"
    assert errors[1][1]["file"].endswith(".spec.ts") and errors[1][1]["title"].startswith("Failed: ")
    assert errors[-1][2] == "…and 17 more failed tests: see the step summary or the run"
    assert warnings[-1][2] == "…and 5 more flaky tests: see the step summary or the run"


def test_hostile_titles_stay_inert_in_every_github_sink(simulator, tmp_path: Path) -> None:
    tests = [{"spec": title, "title": title, "status": "failed", "duration": 1.0} for title in HOSTILE_TITLES]
    sim = simulator(
        SimRun(tests=tests, final_status="failed\nverdict=pass", branch="b\n::error::x", commit_name="::add-mask::all")
    )
    result = run_action(sim, tmp_path)
    assert result["code"] == 1
    for line in result["stdout"].splitlines():
        if line.lstrip().startswith("::"):
            name, _props, message = parse_command(line)
            assert name in OWN_COMMANDS, line
            assert name != "add-mask" or message == API_KEY
    titles = [
        parse_command(line)[1].get("title")
        for line in result["stdout"].splitlines()
        if line.startswith("::error file=")
    ]
    assert len(titles) == 9
    assert "Failed: x ::error::pwned" in titles
    outputs = result["outputs"]
    assert outputs["verdict"] == "fail" and outputs["exit-code"] == "1"
    assert set(outputs) == set(github.OUTPUT_NAMES)
    assert "<script>" not in result["summary"]


def test_an_api_status_cannot_define_other_outputs() -> None:
    text = github.outputs_text({"status": "x\nverdict=pass\nghadelimiter_1", "verdict": "fail"})
    assert parse_github_output(text) == {"status": "x\nverdict=pass\nghadelimiter_1", "verdict": "fail"}


def test_config_is_relative_to_the_workspace_not_the_working_directory(simulator, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "ci").mkdir(parents=True)
    (workspace / "ci" / "gate.yml").write_text("thresholds: {failed: 30}\n")
    sim = simulator(SimRun(counts={"passed": 5, "failed": 25}))
    env = runner_env(sim, workspace, config="ci/gate.yml")
    done = run_main([], env, cwd=tmp_path)
    assert done.code == 0, done.stdout + done.stderr


def test_a_set_up_error_still_writes_outputs_and_summary(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun())
    result = run_action(sim, tmp_path, **{"api-key": "wrong-key"})
    assert result["code"] == 2
    assert result["outputs"]["verdict"] == "error" and result["outputs"]["exit-code"] == "2"
    headline, *below = result["summary"].splitlines()
    assert headline == "## ⚠️ Playwright gate could not run — set-up error"
    assert any(line.startswith("HTTP 401") for line in below)
    assert "::error title=Playwright gate could not run::HTTP 401" in result["stdout"]
    assert result["stdout"].splitlines()[0] == "::add-mask::wrong-key"


def test_debug_logging_uses_debug_commands_and_hides_the_key(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun(), faults=[{"status": 503}])
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**runner_env(sim, workspace), "RUNNER_DEBUG": "1"}
    done = run_main([], env, cwd=workspace)
    assert done.code == 0
    assert re.search(r"^::debug::GET /api/external/v1/projects/pdqmxlz/runs/kftwnab -> 503", done.stdout, re.M)
    assert API_KEY not in done.stdout.replace(f"::add-mask::{API_KEY}", "") + done.stderr


def test_the_demo_input_runs_the_whole_gate_in_the_container(simulator, tmp_path: Path, simulated: Clock) -> None:
    # The demo's run takes its 3 s in simulated time: the gate's waits move the clock on, none is real.
    result = run_action(simulator(SimRun()), tmp_path, simulated, demo="true", **{"api-key": "", "run-id": ""})
    assert result["code"] == 0, result["stdout"] + result["stderr"]
    assert result["outputs"]["verdict"] == "pass"
    failing = run_action(simulator(SimRun()), tmp_path, simulated, demo="fail")
    assert failing["code"] == 1 and failing["outputs"]["verdict"] == "fail"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a%b\r\nc", "a%25b%0D%0Ac"),
    ],
)
def test_workflow_command_escaping(text: str, escaped: str) -> None:
    assert command_data(text) == escaped
    assert command_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert github.command("error", text, file="x:y,z", title="") == f"::error file=x%3Ay%2Cz::{escaped}"


def test_the_command_in_a_plain_github_step_writes_no_json_file_unless_asked(
    simulator, run_cli, tmp_path: Path
) -> None:
    # The action always writes its JSON verdict (action.yml's default for json-file); the command line,
    # run in a `run:` step (as on macOS and Windows runners), writes files only where it is told to.
    env = {**gate_env(simulator(SimRun())), "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    result = run_cli(env={**env, "PLAYDASH_JSON_FILE": ""})
    assert result.code == 0, result.output
    assert not list(tmp_path.glob("*.json"))


LISTS = {"quarantined": "quarantined_tests", "forgiven": "forgiven_tests", "new-failures": "new_failures"}


@pytest.mark.parametrize(
    ("scenario", "shown"), [("quarantine", "quarantined"), ("history", "forgiven"), ("baseline", "new-failures")]
)
def test_the_outputs_count_what_quarantine_history_and_the_baseline_did(
    scenario: str, shown: str, tmp_path: Path
) -> None:
    """`quarantined`, `forgiven` and `new-failures` agree with the JSON verdict's lists; `failed` is what counts."""
    chosen = choose(scenario)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copy(chosen.path.parent / chosen.scenario.demo["config"], workspace / "gate.yml")
    run_id = chosen.scenario.demo.get("run_id", chosen.scenario.runs[-1].run_id)
    project = next(run.project_id for run in chosen.scenario.runs if run.run_id == run_id)
    plan = {"config": "gate.yml", "run-id": run_id, "project-id": project}
    with Simulator(dataclasses.replace(chosen.scenario, api_key=API_KEY)) as sim:
        result = run_action(sim, tmp_path, **plan)
    outputs = result["outputs"]
    verdict = json.loads((workspace / outputs["json"]).read_text())
    for output, listed in LISTS.items():
        compared = output != "new-failures" or scenario == "baseline"
        assert outputs[output] == (str(len(verdict[listed] or [])) if compared else ""), (output, result["stdout"])
    assert int(outputs[shown]) > 0
    quarantined_failures = sum(test["status"] == "failed" for test in verdict["quarantined_tests"] or [])
    forgiven = len(verdict["forgiven_tests"] or [])
    assert int(outputs["failed"]) == verdict["statistics"]["failed"] - quarantined_failures - forgiven
