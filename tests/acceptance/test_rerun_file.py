"""`--rerun-file`: the spec files of the tests that count against the gate, for a rerun across every shard."""

from __future__ import annotations

import json
from pathlib import Path

from gate.simulator import SimRun
from tests.acceptance.test_action import run_action
from tests.conftest import gate_env

QUARANTINE = """\
quarantine:
  - {spec: "checkout/*.spec.ts", test: "pays by card", reason: "PAY-1", until: 2999-01-01}
"""


def _run(tests: list[dict]) -> SimRun:
    counts: dict[str, int] = {}
    for test in tests:
        counts[test["status"]] = counts.get(test["status"], 0) + 1
    return SimRun(counts=counts, tests=tests)


def test_the_failed_spec_files_are_listed_once_sorted_without_quarantined_ones(simulator, run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(QUARANTINE)
    tests = [
        {"spec": "search.spec.ts", "title": "filters", "status": "failed"},
        {"spec": "search.spec.ts", "title": "sorts", "status": "failed"},
        {"spec": "account/login.spec.ts", "title": "logs in", "status": "failed"},
        {"spec": "checkout/pay.spec.ts", "title": "pays by card", "status": "failed"},  # quarantined
        {"spec": "home.spec.ts", "title": "banner", "status": "flaky"},
        {"spec": "home.spec.ts", "title": "loads", "status": "passed"},
    ]
    result = run_cli("--config", "gate.yml", "--rerun-file", "out/rerun.txt", env=gate_env(simulator(_run(tests))))
    assert result.code == 1, result.output
    assert (tmp_path / "out" / "rerun.txt").read_text() == "account/login.spec.ts\nsearch.spec.ts\n"
    assert "rerun file" not in result.output


def test_a_passing_run_writes_an_empty_rerun_file(simulator, run_cli, tmp_path) -> None:
    (tmp_path / "rerun.txt").write_text("old.spec.ts\n")
    result = run_cli("--rerun-file", "rerun.txt", env=gate_env(simulator(SimRun())))
    assert result.code == 0
    assert (tmp_path / "rerun.txt").read_text() == ""


def test_names_that_are_not_plain_relative_paths_are_left_out_in_one_warning(simulator, run_cli, tmp_path) -> None:
    hostile = ["../../etc/passwd", "/abs.spec.ts", "--grep=.*", "$(reboot).spec.ts", "a\u2028b.spec.ts", "x y.ts"]
    tests = [{"spec": name, "title": f"t{i}", "status": "failed"} for i, name in enumerate(hostile)]
    tests.append({"spec": "good.spec.ts", "title": "ok", "status": "failed"})
    result = run_cli("--rerun-file", "rerun.txt", env=gate_env(simulator(_run(tests)), PLAYDASH_RERUN_FILE="x"))
    assert result.code == 1
    assert (tmp_path / "rerun.txt").read_text() == "good.spec.ts\n"
    warnings = [line for line in result.stderr.splitlines() if "rerun file" in line]
    assert len(warnings) == 1 and "6 spec file names from the API left out" in warnings[0], result.stderr
    for name in hostile[:4]:
        assert name not in result.stderr


def test_no_verdict_writes_an_empty_rerun_file_rather_than_a_stale_one(simulator, run_cli, tmp_path) -> None:
    (tmp_path / "rerun.txt").write_text("stale.spec.ts\n")
    sim = simulator(SimRun(), fault_rate=1.0, random_faults=[{"status": 503}])
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1.5s", PLAYDASH_RERUN_FILE="rerun.txt"))
    assert result.code == 3
    assert (tmp_path / "rerun.txt").read_text() == ""


def test_the_action_gives_the_rerun_file_as_an_output(simulator, tmp_path: Path) -> None:
    tests = [{"spec": "e2e/a.spec.ts", "title": "a", "status": "failed"}]
    result = run_action(simulator(_run(tests)), tmp_path, **{"rerun-file": "reports/rerun.txt"})
    assert result["code"] == 1
    assert result["outputs"]["rerun-file"] == "reports/rerun.txt"
    assert (result["workspace"] / "reports" / "rerun.txt").read_text() == "e2e/a.spec.ts\n"


def test_a_rerun_file_that_is_another_reports_file_is_not_written_over_it(simulator, run_cli, tmp_path) -> None:
    tests = [{"spec": "a.spec.ts", "title": "a", "status": "failed"}]
    result = run_cli("--json-file", "v.json", "--rerun-file", "./v.json", env=gate_env(simulator(_run(tests))))
    assert result.code == 1
    assert json.loads((tmp_path / "v.json").read_text())["verdict"] == "fail"  # the JSON verdict stands
    assert "the rerun file v.json is the JSON verdict's file too: not written" in result.stderr


def test_the_output_names_no_rerun_file_that_could_not_be_written(simulator, tmp_path: Path) -> None:
    tests = [{"spec": "e2e/a.spec.ts", "title": "a", "status": "failed"}]
    (tmp_path / "workspace" / "taken").mkdir(parents=True)
    result = run_action(simulator(_run(tests)), tmp_path, **{"rerun-file": "taken"})
    assert result["code"] == 1
    assert result["outputs"]["rerun-file"] == ""
    assert "::warning title=Playwright gate rerun file::the rerun file" in result["stdout"]
    assert "is missing: it could not be written" in result["stdout"]


def test_timed_out_and_interrupted_tests_are_rerun_too(simulator, run_cli, tmp_path) -> None:
    tests = [
        {"spec": "slow.spec.ts", "title": "waits", "status": "timed_out"},
        {"spec": "cut.spec.ts", "title": "stopped", "status": "interrupted"},
        {"spec": "ok.spec.ts", "title": "fine", "status": "passed"},
    ]
    result = run_cli("--rerun-file", "rerun.txt", env=gate_env(simulator(_run(tests))))
    assert result.code == 1, result.output
    assert (tmp_path / "rerun.txt").read_text() == "cut.spec.ts\nslow.spec.ts\n"
    assert "rerun file" not in result.output  # every one listed: nothing missing
