"""The examples, as a user pastes them: in every CI, the gate's exit code is the pipeline's verdict.

Each example is read as its CI reads it, and checked for what decides a pipeline there: the test step
cannot fail the pipeline by itself, the gate runs even after a test failure (and is not allowed to fail),
the reports are kept before the gate's code decides, and the Playwright reporter gets what the README's
reporter config reads. The GitLab example is also run by a real engine, `gitlab-ci-local`, with the real
gate against the simulator: the pipeline's result is compared with the gate's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.simulator import Scenario, SimRun, Simulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# What the README's playwright.config.ts reads for the reporter.
REPORTER_VARIABLES = ("NEETO_PLAYDASH_API_KEY", "NEETO_PLAYDASH_PROJECT_KEY", "PLAYDASH_CI_BUILD_ID")
PLAYWRIGHT = re.compile(r"\bnpx playwright test\b")
GATE_ACTION = "playdash-gate/playdash-gate@"


def load(path: Path) -> Any:
    """A YAML example as its CI reads it."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- GitHub Actions ---------------------------------------------------------------------------------


def workflows() -> list[Path]:
    return sorted((EXAMPLES / "github").glob("*.yml"))


def _runs_playwright(step: Mapping[str, Any]) -> bool:
    return bool(PLAYWRIGHT.search(str(step.get("run", ""))))


def _is_gate(step: Mapping[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith(GATE_ACTION) or bool(
        re.search(r"^playdash-gate\b", step.get("run", ""))
    )


def _runs_after_a_failure(condition: object) -> bool:
    text = str(condition or "")
    return "!cancelled()" in text.replace(" ", "") or "always()" in text


@pytest.mark.parametrize("path", workflows(), ids=lambda path: path.name)
def test_github_the_gate_decides_the_workflow(path: Path) -> None:
    workflow = load(path)
    env = workflow.get("env", {})
    jobs: dict[str, Any] = workflow["jobs"]
    test_jobs = {name for name, job in jobs.items() if any(_runs_playwright(step) for step in job["steps"])}
    for name, job in jobs.items():
        steps = job["steps"]
        for index, step in enumerate(steps):
            if _runs_playwright(step):
                # The test step cannot fail the workflow by itself: the step or its job may fail.
                assert step.get("continue-on-error") is True or job.get("continue-on-error") is True, (name, step)
                seen = {**env, **job.get("env", {}), **step.get("env", {})}
                assert set(REPORTER_VARIABLES) <= set(seen), (name, sorted(seen))
            if _is_gate(step) and test_jobs:
                # The gate decides: never allowed to fail, and it runs after a failed test step.
                assert "continue-on-error" not in step and "continue-on-error" not in job, (name, step)
                if name in test_jobs:
                    earlier = steps[:index]
                    assert any(_runs_playwright(s) for s in earlier)
                    assert _runs_after_a_failure(step.get("if")), (name, step)
                else:
                    assert set(test_jobs) <= set(_listed(job.get("needs"))), (name, job.get("needs"))
                    assert _runs_after_a_failure(job.get("if")), (name, job.get("if"))
    gates = [step for job in jobs.values() for step in job["steps"] if _is_gate(step)]
    assert gates, f"{path.name} runs no gate"


def _listed(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


# -- GitLab CI ----------------------------------------------------------------------------------------


def test_gitlab_the_gate_decides_the_pipeline() -> None:
    pipeline = load(EXAMPLES / "gitlab" / ".gitlab-ci.yml")
    stages = pipeline["stages"]
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    tests = [job for job in jobs.values() if any(PLAYWRIGHT.search(line) for line in job["script"])]
    gates = [job for job in jobs.values() if any(line.startswith("playdash-gate") for line in job["script"])]
    assert tests and len(gates) == 1
    (gate,) = gates
    for job in tests:
        assert job.get("allow_failure") is True
        # The reporter's key, beside the build id the pipeline sets for both.
        assert "NEETO_PLAYDASH_API_KEY" in job.get("variables", {})
        assert "PLAYDASH_CI_BUILD_ID" in pipeline["variables"]
        assert stages.index(gate["stage"]) > stages.index(job["stage"])
    assert gate.get("allow_failure", False) is False
    assert gate.get("when") == "always" or gate.get("needs") is not None
    assert gate["artifacts"]["when"] == "always"


# -- CircleCI -----------------------------------------------------------------------------------------


def test_circleci_the_gate_decides_the_workflow() -> None:
    config = load(EXAMPLES / "circleci" / "config.yml")
    jobs = config["jobs"]
    commands = {
        name: [
            str(step["run"]["command"] if isinstance(step["run"], dict) else step["run"])
            for step in job["steps"]
            if isinstance(step, dict) and "run" in step
        ]
        for name, job in jobs.items()
    }
    (test_job,) = [name for name, runs in commands.items() if any(PLAYWRIGHT.search(run) for run in runs)]
    (gate_job,) = [name for name, runs in commands.items() if any("playdash-gate " in run for run in runs)]
    playwright = next(run for run in commands[test_job] if PLAYWRIGHT.search(run))
    # CircleCI has no "allowed to fail": the command itself tolerates a failed test.
    assert re.search(r"npx playwright test[^\n]*\|\|", playwright)
    assert "NEETO_PLAYDASH_API_KEY" in playwright and "PLAYDASH_CI_BUILD_ID" in jobs[test_job]["environment"]
    steps = [next(iter(step)) if isinstance(step, dict) else step for step in jobs[gate_job]["steps"]]
    gate_step = next(i for i, step in enumerate(jobs[gate_job]["steps"]) if "playdash-gate " in str(step))
    decide = max(i for i, step in enumerate(jobs[gate_job]["steps"]) if "gate-exit-code" in str(step))
    # The gate's code is kept, the reports stored, and only then does the code decide the job.
    assert "|| code=$?" in commands[gate_job][0]
    assert gate_step < steps.index("store_test_results") < decide
    assert gate_step < steps.index("store_artifacts") < decide
    assert 'exit "$(cat reports/gate-exit-code)"' in str(jobs[gate_job]["steps"][decide])


# -- Buildkite -----------------------------------------------------------------------------------------


def test_buildkite_the_gate_decides_the_build() -> None:
    pipeline = load(EXAMPLES / "buildkite" / "pipeline.yml")
    steps = {step["key"]: step for step in pipeline["steps"] if "key" in step}
    test = next(step for step in steps.values() if PLAYWRIGHT.search(step.get("command", "")))
    gate = next(step for step in steps.values() if str(step.get("command", "")).startswith("playdash-gate"))
    assert test.get("soft_fail") is True
    assert "NEETO_PLAYDASH_API_KEY" in test["command"]
    assert gate["depends_on"] == test["key"] and gate.get("allow_dependency_failure") is True
    assert "soft_fail" not in gate
    assert gate["artifact_paths"]


# -- Jenkins -------------------------------------------------------------------------------------------


def test_jenkins_the_gate_decides_the_build() -> None:
    text = (EXAMPLES / "jenkins" / "Jenkinsfile").read_text(encoding="utf-8")
    tests = text.index("catchError(buildResult: 'SUCCESS', stageResult: 'UNSTABLE')")
    assert tests < text.index("sh 'npx playwright test'") < text.index("stage('gate')")
    assert "NEETO_PLAYDASH_API_KEY = credentials(" in text and "PLAYDASH_CI_BUILD_ID =" in text
    gate = text.index("returnStatus: true")
    decide = text.index("error(")
    # The reports are kept before the gate's code decides; the JUnit report never decides on its own.
    assert gate < text.index("junit testResults:") < decide
    assert gate < text.index("archiveArtifacts") < decide
    assert "skipMarkingBuildUnstable: true" in text
    assert "post {" not in text


# -- GitLab, run by a real engine ------------------------------------------------------------------------

ENGINE = os.environ.get("GITLAB_CI_LOCAL") or shutil.which("gitlab-ci-local")
# `.ci/run` installs the engine and sets this: there, a missing engine is a failure, not a skip.
REQUIRED = os.environ.get("PLAYDASH_REQUIRE_ENGINES") == "1"


@pytest.fixture
def engine() -> str:
    if ENGINE is None or shutil.which("rsync") is None:
        if REQUIRED:
            pytest.fail("gitlab-ci-local (and rsync) are required here: .ci/run installs them")
        pytest.skip("gitlab-ci-local and rsync are not installed (.ci/run installs them: see .ci/gitlab-ci-local/)")
    return ENGINE


def pipeline_for_a_shell(example: Any, tests_exit: int, gate_command: str, env: Mapping[str, str]) -> Any:
    """The GitLab example as it is, but run in a shell: no images, the Playwright command replaced by a
    command that exits `tests_exit`, the gate by the real gate (`gate_command`) against the simulator."""
    pipeline = json.loads(json.dumps(example))
    for job in pipeline.values():
        if not isinstance(job, dict) or "script" not in job:
            continue
        job.pop("image", None)
        job.pop("parallel", None)
        script = []
        for line in job["script"]:
            if PLAYWRIGHT.search(line):
                script.append(f"exit {tests_exit}")
            elif line.startswith("npm "):
                continue
            elif line.startswith("playdash-gate"):
                script.append(gate_command + line[len("playdash-gate") :])
            else:
                script.append(line)
        job["script"] = script
        if any(line.startswith(gate_command) for line in script):
            # The simulator's address in place of the workspace's subdomain.
            variables = {
                name: value for name, value in job.get("variables", {}).items() if name != "PLAYDASH_SUBDOMAIN"
            }
            job["variables"] = {**variables, **env}
    return pipeline


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def run_pipeline(engine: str, folder: Path, pipeline: Any) -> subprocess.CompletedProcess[str]:
    (folder / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False), encoding="utf-8")
    git = ["git", "-C", str(folder), "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "pipeline"], check=True)
    return subprocess.run(
        [engine, "--no-color"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(folder)},
        check=False,
    )


BUILD_ID = "gitlab-example-1"
FAILED_TEST = {"spec": "checkout/pay.spec.ts", "title": "applies a 10% coupon", "status": "failed", "duration": 1.0}
PASSED_TEST = {"spec": "home.spec.ts", "title": "shows the banner", "status": "passed", "duration": 1.0}
QUARANTINE = """version: 1
quarantine:
  - spec: "checkout/*.spec.ts"
    test: "applies a * coupon"
    reason: "PAY-123: payment sandbox is flaky"
    until: 2099-12-31
"""


@pytest.mark.parametrize(
    ("tests_exit", "run", "gate_code"),
    [
        # The tests failed, but the gate lets the quarantined failure through: the pipeline passes.
        pytest.param(1, SimRun(ci_build_id=BUILD_ID, tests=[FAILED_TEST, PASSED_TEST]), 0, id="quarantined-failure"),
        # A failure the gate counts: the pipeline fails, and the reports are kept.
        pytest.param(
            1,
            SimRun(ci_build_id=BUILD_ID, tests=[{**FAILED_TEST, "spec": "search.spec.ts"}, PASSED_TEST]),
            1,
            id="counted-failure",
        ),
        # The tests never reported (a broken install): no run appears, no verdict, and the pipeline fails.
        pytest.param(0, SimRun(ci_build_id="another-build", tests=[PASSED_TEST]), 3, id="never-reported"),
    ],
)
def test_the_gitlab_pipeline_ends_as_the_gate_decides(
    engine: str, project: Path, tests_exit: int, run: SimRun, gate_code: int
) -> None:
    (project / "gate.yml").write_text(QUARANTINE, encoding="utf-8")
    example = load(EXAMPLES / "gitlab" / ".gitlab-ci.yml")
    gate_command = str(Path(sys.executable).with_name("playdash-gate"))
    with Simulator(Scenario(runs=[run], api_key="demo-key")) as simulator:
        env = {
            "PLAYDASH_BASE_URL": simulator.base_url,
            "PLAYDASH_API_KEY": "demo-key",
            "PLAYDASH_CI_BUILD_ID": BUILD_ID,
            "PLAYDASH_CONFIG": "gate.yml",
            "PLAYDASH_TIMEOUT": "4s",
            "PLAYDASH_POLL_INTERVAL": "0.2s",
            "PLAYDASH_MAX_POLL_INTERVAL": "0.5s",
        }
        ran = run_pipeline(engine, project, pipeline_for_a_shell(example, tests_exit, gate_command, env))
    log = ran.stdout + ran.stderr
    assert f"exit {gate_code})" in log, log[-3000:]
    assert (ran.returncode == 0) == (gate_code == 0), log[-3000:]
    # The reports are archived whatever the gate decided.
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "playwright-gate"
    kept = {path.name for path in artifacts.rglob("*") if path.is_file()}
    assert {"playdash-gate.xml", "playdash-gate.md", "playdash-gate.json"} <= kept, (kept, log[-3000:])


def test_the_merge_queue_example_runs_the_gate_in_the_queue_too() -> None:
    workflow = load(EXAMPLES / "github" / "merge-queue.yml")
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as `on`.
    triggers = workflow.get("on", workflow.get(True))
    assert {"pull_request", "merge_group"} <= set(triggers)
    gates = [(job, step) for job in workflow["jobs"].values() for step in job["steps"] if _is_gate(step)]
    assert len(gates) == 1
    job, step = gates[0]
    # Nothing keeps the gate off the queue's runs: the required check must report there.
    for condition in (job.get("if"), step.get("if")):
        assert "event_name" not in str(condition or ""), condition
