"""End to end, the ways of other CIs and of a laptop: naming the run, JUnit and Markdown files, validate,
--from-file, CI detection; the installed CLI in a subprocess against the simulator."""

from __future__ import annotations

import os
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.simulator import SimRun
from tests.conftest import API_KEY, gate_env
from tests.unit.test_ci import RECORDED

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "get-run-example.json"
FAILING = {"passed": 30, "failed": 3, "flaky": 2}


def no_ids(sim, **extra: str) -> dict[str, str]:
    env = gate_env(sim, **extra)
    env.pop("PLAYDASH_RUN_ID")
    return env


def test_run_url_gives_the_ids_and_the_workspace(simulator, run_cli) -> None:
    sim = simulator(SimRun(counts=FAILING))
    env = no_ids(sim)
    env.pop("PLAYDASH_BASE_URL")
    env.pop("PLAYDASH_PROJECT_ID")
    result = run_cli("--run-url", f"{sim.base_url}/projects/pdqmxlz/runs/kftwnab/?tab=tests#top", env=env)
    assert result.code == 1, result.output
    assert result.verdict["url"] == f"{sim.base_url}/projects/pdqmxlz/runs/kftwnab"
    assert result.verdict["run_id"] == "kftwnab"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--run-url", "https://acme.neetoplaydash.com/projects/pdqmxlz/runs/other"),
            "--run-id (kftwnab) and --run-url (other) name different runs",
        ),
        (
            ("--run-url", "https://acme.neetoplaydash.com/projects/zzz/runs/kftwnab"),
            "PLAYDASH_PROJECT_ID (pdqmxlz) and --run-url (zzz) name different projects",
        ),
        (("--run-url", "https://acme.neetoplaydash.com/dashboard"), "must be a run's address ending in /projects/"),
        (("--run-url", "http://acme.neetoplaydash.com/projects/p/runs/r"), "must use https://"),
        (("--ci-build-id", "gh-1"), "--run-id and --ci-build-id both name the run"),
    ],
)
def test_two_ways_of_naming_the_run_that_disagree_are_set_up_errors(simulator, run_cli, args, message) -> None:
    result = run_cli("--run-id", "kftwnab", *args, env=gate_env(simulator(SimRun())))
    assert result.code == 2, result.output
    assert message in result.stderr


def test_ci_build_id_finds_a_run_that_appears_late(simulator, run_cli) -> None:
    sim = simulator(
        SimRun(run_id="other", ci_build_id="gh-1", created_at="2026-11-01T00:00:00Z"),
        SimRun(counts=FAILING, ci_build_id="gh-4821-1", appears_after_lists=2, finish_after_polls=1),
    )
    result = run_cli("--ci-build-id", "gh-4821-1", env=no_ids(sim))
    assert result.code == 1, result.output
    assert result.stdout.count("waiting: no run of build gh-4821-1 yet") == 2
    assert result.verdict["run_id"] == "kftwnab"
    assert result.verdict["url"].endswith("/projects/pdqmxlz/runs/kftwnab")


def test_ci_build_id_that_never_appears_gives_no_verdict(simulator, run_cli) -> None:
    sim = simulator(SimRun(ci_build_id="gh-1"))
    result = run_cli("--ci-build-id", "gh-2", env=no_ids(sim, PLAYDASH_TIMEOUT="1.5s"))
    assert result.code == 3, result.output
    assert "no run with the build id 'gh-2' appeared" in result.stderr
    assert result.verdict["verdict"] == "error"


def test_ci_build_id_with_two_runs_takes_the_newest_and_says_so(simulator, run_cli) -> None:
    sim = simulator(
        SimRun(
            run_id="older", ci_build_id="gh-7", created_at="2026-11-27T10:00:00Z", counts={"passed": 1, "failed": 9}
        ),
        SimRun(run_id="newer", ci_build_id="gh-7", created_at="2026-11-28T10:00:00Z"),
    )
    result = run_cli("--ci-build-id", "gh-7", env=no_ids(sim))
    assert result.code == 0, result.output
    assert result.verdict["run_id"] == "newer"
    assert "2 runs have the build id gh-7; the gate took the newest, newer (also: older)" in result.stdout
    assert result.verdict["notes"] == ["2 runs have the build id gh-7; the gate took the newest, newer (also: older)"]
    assert "the gate took the newest" in result.summary


def test_junit_and_markdown_files_parse_back(simulator, run_cli, tmp_path: Path) -> None:
    tests = [
        {"spec": "a.spec.ts", "title": f"t{i} <&> \"'\x01\x1f", "status": "failed", "duration": 1.5} for i in range(3)
    ]
    tests += [
        {"spec": "b.spec.ts", "title": "flaky ]]> one", "status": "flaky", "duration": 2},
        {"spec": "c.spec.ts", "title": "fine", "status": "passed", "duration": 1},
    ]
    sim = simulator(SimRun(tests=tests))
    result = run_cli("--junit-file", "out/junit.xml", "--markdown-file", "out/report.md", env=gate_env(sim))
    assert result.code == 1
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["playdash-gate checks", "NeetoPlaydash run: failed and flaky tests"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    checks = {c.get("name"): c for c in suites[0].findall("testcase")}
    assert checks["failed tests"].find("failure") is not None
    assert checks["tests run"].find("failure") is None
    run_cases = suites[1].findall("testcase")
    assert [c.get("classname") for c in run_cases] == ["a.spec.ts"] * 3 + ["b.spec.ts"]
    assert run_cases[0].get("name") == "t0 <&> \"'\ufffd\ufffd"
    assert run_cases[3].find("failure") is None and "flaky" in run_cases[3].findtext("system-out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert markdown == result.summary


def test_junit_of_an_error(simulator, run_cli, tmp_path: Path) -> None:
    sim = simulator(SimRun())
    result = run_cli("--junit-file", "j.xml", env={**gate_env(sim), "PLAYDASH_API_KEY": "nope-wrong-key"})
    assert result.code == 2
    case = ET.parse(tmp_path / "j.xml").getroot().find("testsuite/testcase")
    assert case is not None and case.find("error").get("type") == "setup"


def test_validate_lists_every_problem_without_key_or_network(run_cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("thresholds:\n  faild: 1\n  flaky: -1\nstatus: {fail_on: [nope]}\n")
    result = run_cli("validate", "bad.yml", env={})
    assert result.code == 2
    for problem in (
        "thresholds.faild: unknown key; did you mean `failed`?",
        "thresholds.flaky: must be 0 or more",
        "status.fail_on[0]: must be one of failed, timed_out, interrupted",
    ):
        assert problem in result.stderr
    good = Path(__file__).resolve().parents[2] / "examples" / ".playdash-gate.yml"
    result = run_cli("validate", str(good), env={})
    assert result.code == 0
    assert "is valid" in result.stdout and "failed rate <= 2%" in result.stdout
    assert "baseline can never change the verdict" not in result.stdout  # the example's baseline decides
    assert run_cli("validate", "missing.yml", env={}).code == 2
    assert "built-in defaults apply" in run_cli("validate", env={}).stdout


def test_each_run_in_one_process_reads_only_its_own_flags(run_cli, tmp_path: Path) -> None:
    """Runs of `main()` in one process (the tests, an embedding tool) share nothing of each other's flags."""
    rule = "{when: {branch: 'release/*', tags: [nightly]}, thresholds: {failed: 3}}"
    (tmp_path / "gate.yml").write_text(f"rules: [{rule}]\n")
    flagged = run_cli("validate", "gate.yml", "--branch", "release/1", "--tags", "nightly", env={})
    assert "for branch release/1 and tags nightly:" in flagged.stdout
    assert "failed tests <= 3" in flagged.stdout
    plain = run_cli("validate", "gate.yml", env={})
    assert "for branch (any):" in plain.stdout
    assert "failed tests <= 0" in plain.stdout and "rules applied: none (of 1)" in plain.stdout
    # A report flag, given to the gate or before a subcommand, and the subcommand's own flags hold for their run.
    run_cli("--from-file", str(EXAMPLE), "--markdown-file", "report.md", env={})
    (tmp_path / "report.md").unlink()
    assert run_cli("--from-file", str(EXAMPLE), env={}).code == 1
    assert not (tmp_path / "report.md").exists()
    assert run_cli("--markdown-file", "report.md", "demo", "--seconds", "0", "--failing", env={}).code == 1
    (tmp_path / "report.md").unlink()
    assert run_cli("demo", "--seconds", "0", env={}).code == 0
    assert not (tmp_path / "report.md").exists()


@pytest.mark.parametrize(
    ("config", "args", "warned"),
    [
        ("thresholds: {failed: 0}\nbaseline: {branch: main}\n", (), "`thresholds.failed: 0`"),
        ("baseline: {branch: main}\n", (), "`thresholds.failed: 0`"),  # the default is failed: 0
        ("thresholds: {failed: null, failed_rate: 0%}\nbaseline: {branch: main}\n", (), "raise `failed_rate`"),
        ("thresholds: {failed: null}\nbaseline: {branch: main}\n", (), None),
        ("thresholds: {failed: 0}\n", (), None),
        (
            "thresholds: {failed: null}\nbaseline: {branch: main}\n"
            "rules: [{when: {branch: main}, thresholds: {failed: 0}}]\n",
            ("--branch", "main"),
            "`thresholds.failed: 0`",
        ),
    ],
)
def test_validate_warns_of_a_baseline_that_can_never_change_the_verdict(
    run_cli, tmp_path: Path, config: str, args: tuple[str, ...], warned: str | None
) -> None:
    (tmp_path / "gate.yml").write_text(config)
    result = run_cli("validate", "gate.yml", *args, env={})
    assert result.code == 0, result.output
    warning = [line for line in result.stdout.splitlines() if "baseline can never change the verdict" in line]
    assert [warned in line for line in warning] == ([True] if warned else []), result.stdout


@pytest.mark.parametrize(
    "workflow",
    [
        "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n",
        "on:\n  pull_request:\n",
        "stages: [test]\ntest:\n  script: [make]\n",
        "version: 2.1\njobs: {}\nworkflows: {}\n",
    ],
    ids=["github", "github-on-only", "gitlab", "circleci"],
)
def test_a_workflow_file_given_as_the_config_is_named_as_such(run_cli, tmp_path: Path, workflow: str) -> None:
    (tmp_path / "ci.yml").write_text(workflow)
    for args in (("validate", "ci.yml"), ("--config", "ci.yml", "--from-file", str(EXAMPLE))):
        result = run_cli(*args, env={})
        assert result.code == 2, result.output
        assert "this looks like a CI workflow or pipeline file" in result.stderr
        assert "True: unknown key" not in result.stderr


@pytest.mark.parametrize("content", ["", "# thresholds come later\n\n# really\n", "{}\n", "---\n"])
def test_an_empty_config_says_the_built_in_defaults_apply(simulator, run_cli, tmp_path: Path, content: str) -> None:
    (tmp_path / "gate.yml").write_text(content)
    result = run_cli("validate", "gate.yml", env={})
    assert result.code == 0
    assert "note: gate.yml is empty or holds only comments: the built-in defaults apply" in result.stdout
    result = run_cli("--config", "gate.yml", env=gate_env(simulator(SimRun(counts={"passed": 3, "failed": 1}))))
    assert "config: gate.yml (empty: the built-in defaults apply)" in result.stdout
    assert result.code == 1  # the built-in limit of 0 failed tests


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the shared API example is beside the project")
def test_from_file_judges_the_documented_example_offline(run_cli) -> None:
    result = run_cli("--from-file", str(EXAMPLE), env={})
    assert result.code == 1, result.output
    assert "2 failed tests (limit 0)" in result.stdout
    assert result.verdict["statistics"] == {"passed": 38, "failed": 2, "flaky": 1}
    assert result.verdict["requests"] == 0
    assert result.summary.startswith("## ❌ Playwright gate failed")


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        ("not json", 2, "is not JSON"),
        ("[]", 2, "holds an empty list"),
        ('{"is_running": true, "status": "running", "run_statistics": []}', 3, "still in progress"),
        ('{"status": "passed", "run_statistics": []}', 3, "no `is_running` field"),
    ],
)
def test_from_file_refusals(run_cli, tmp_path: Path, content: str, code: int, message: str) -> None:
    (tmp_path / "run.json").write_text(content)
    result = run_cli("--from-file", "run.json", env={})
    assert result.code == code, result.output
    assert message in result.stderr


@pytest.mark.parametrize("system", sorted(RECORDED))
def test_the_ci_job_appears_in_console_summary_and_json(simulator, run_cli, system: str) -> None:
    env, expected = RECORDED[system]
    sim = simulator(SimRun())
    plain = {key: value for key, value in env.items() if key != "GITHUB_ACTIONS"} if system != "github" else env
    result = run_cli(env={**gate_env(sim), **plain})
    assert result.code == 0, result.output
    assert f"ci: {expected.name} · {expected.job_url}" in result.stdout
    assert result.verdict["ci"] == {
        "name": expected.name,
        "job_url": expected.job_url,
        "commit": expected.commit,
        "branch": expected.branch,
    }
    assert f"job]({expected.job_url})" in result.summary
    assert API_KEY not in result.output.replace(f"::add-mask::{API_KEY}", "")


def test_no_colour_in_a_pipe_or_with_no_color(simulator, run_cli) -> None:
    sim = simulator(SimRun(counts=FAILING))
    assert "\033[" not in run_cli(env={**gate_env(sim), "NO_COLOR": "1"}).stdout
    assert "\033[" not in run_cli(env=gate_env(sim)).stdout


def test_a_report_path_that_is_a_folder_is_a_warning_and_leaves_nothing_beside_it(
    simulator, run_cli, tmp_path: Path
) -> None:
    (tmp_path / "reports" / "verdict.json").mkdir(parents=True)
    result = run_cli("--junit-file", "reports/verdict.json", env=gate_env(simulator(SimRun())))
    assert result.code == 0, result.output
    assert "warning: could not write the JUnit report to reports/verdict.json" in result.stderr
    assert [path.name for path in (tmp_path / "reports").iterdir()] == ["verdict.json"]


def test_a_report_path_that_is_a_link_to_a_file_is_replaced_never_followed(simulator, run_cli, tmp_path: Path) -> None:
    # A link committed where a report goes must not make the gate (root, in the action) write elsewhere.
    (tmp_path / "elsewhere.txt").write_text("untouched")
    (tmp_path / "junit.xml").symlink_to(tmp_path / "elsewhere.txt")
    result = run_cli("--junit-file", "junit.xml", env=gate_env(simulator(SimRun())))
    assert result.code == 0, result.output
    assert not (tmp_path / "junit.xml").is_symlink()
    assert "<testsuites" in (tmp_path / "junit.xml").read_text()
    assert (tmp_path / "elsewhere.txt").read_text() == "untouched"


def test_a_report_path_that_is_a_pipe_is_written_through_and_one_nobody_reads_never_hangs(
    simulator, run_cli, tmp_path: Path
) -> None:
    sim = simulator(SimRun())
    fifo = tmp_path / "verdict.pipe"
    os.mkfifo(fifo)
    # Nobody reads it: the gate does not wait for a reader, it warns and ends.
    result = run_cli("--junit-file", str(fifo), env=gate_env(sim))
    assert result.code == 0, result.output
    assert f"warning: could not write the JUnit report to {fifo}" in result.stderr
    assert fifo.is_fifo()
    # Someone reads it (`--junit-file /dev/stdout` in a container is a pipe): the report goes through.
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    time.sleep(0.2)  # the reader opens its end first, as a CI's log reader has
    result = run_cli("--junit-file", str(fifo), env=gate_env(sim))
    reader.join(5)
    assert result.code == 0, result.output
    assert got and "<testsuites" in got[0]
    assert fifo.is_fifo()


def test_a_saved_answer_says_its_baseline_was_not_compared(run_cli, tmp_path: Path) -> None:
    (tmp_path / "gate.yml").write_text("thresholds: {failed: null}\nbaseline: {branch: main, new_failures: 0}\n")
    result = run_cli("--config", "gate.yml", "--from-file", str(EXAMPLE), env={})
    note = "the baseline (the newest finished run on main) is not looked up for a saved answer (--from-file)"
    assert note in result.stdout, result.output
    quoted = [line for line in result.summary.splitlines() if line.startswith("> ") and "baseline" in line]
    assert len(quoted) == 1 and "is not looked up for a saved answer" in quoted[0], result.summary
    assert "new" in quoted[0] and "check is skipped" in quoted[0]
    assert all(check["name"] != "new_failures" for check in result.verdict["checks"])
