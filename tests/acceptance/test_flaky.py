"""Newly flaky tests end to end: `main()` in-process against the simulator's histories over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gate.simulator import SimRun
from gate.simulator.scenarios import history
from tests.conftest import gate_env

HISTORY = "history:\n  branch: main\n  min_runs: 3\n"
STABLE = ["passed"] * 5
FLAKY = ["passed", "failed", "passed", "passed"]


def config(folder: Path, text: str) -> None:
    (folder / ".playdash-gate.yml").write_text(text, encoding="utf-8")


def flaky_run(*ids: str, failed: tuple[str, ...] = (), **histories: list[dict[str, Any]]) -> SimRun:
    """A run with flaky tests (and failed ones) of these ids, and five passed tests without history."""
    tests = [
        {"test_id": test_id, "spec": "cart.spec.ts", "title": f"test {test_id}", "status": status, "duration": 1.0}
        for status, named in (("failed", failed), ("flaky", ids))
        for test_id in named
    ]
    tests += [{"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)]
    return SimRun(tests=tests, histories=dict(histories))


def history_paths(sim: Any) -> list[str]:
    return [request["path"] for request in sim.requests if request["path"].endswith("/result_histories")]


def test_a_newly_flaky_test_fails_the_gate_and_a_known_flaky_one_does_not(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", "tknown", tnew=history(STABLE), tknown=history(FLAKY)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 1, result.output
    checks = {check["name"]: check for check in result.verdict["checks"]}
    assert (checks["new_flaky"]["actual"], checks["new_flaky"]["limit"], checks["new_flaky"]["passed"]) == (1, 0, False)
    assert [test["title"] for test in result.verdict["new_flaky_tests"]] == ["test tnew"]
    assert result.verdict["new_flaky_tests"][0]["history"] == {
        "class": "new",
        "runs": 5,
        "failures": 0,
        "last": ["passed"] * 5,
    }
    assert "1 newly flaky test (limit 0)" in result.stdout
    assert "NEWFLKY cart.spec.ts › test tnew" in result.stdout
    assert "### Newly flaky tests (1)" in result.summary
    assert "History on the branch, newest first: ✅ passed · ❌ failed · ⌛ timed out · 🔁 flaky" in result.summary
    assert len(history_paths(sim)) == 2


def test_failed_tests_are_looked_up_before_flaky_ones_within_max_lookups(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "  max_lookups: 2\nthresholds:\n  new_flaky: 0\n  failed: null\n  flaky: null\n")
    sim = simulator(
        flaky_run("tflaky", failed=("tf1", "tf2"), tflaky=history(STABLE), tf1=history(STABLE), tf2=history(FLAKY))
    )
    result = run_cli(env=gate_env(sim))
    # The flaky test was beyond max_lookups: unknown, never counted as newly flaky, and said why.
    assert result.code == 0, result.output
    assert sorted(path.split("/")[-2] for path in history_paths(sim)) == ["tf1", "tf2"]
    assert result.verdict["new_flaky_tests"] == []
    assert result.verdict["flaky_tests"][0]["history"]["class"] == "unknown"
    note = "1 flaky test of unknown history on main not counted as newly flaky (1: not looked up"
    assert note in result.stdout
    assert any(said.startswith(note) for said in result.verdict["notes"])


@pytest.mark.parametrize(
    ("ids", "reason"),
    [
        pytest.param(("tx",), "2 runs in the window, fewer than min_runs (3)", id="too-few-runs"),
        pytest.param(("tx", "TX"), "its id names more than one thing in the run", id="ambiguous-id"),
    ],
)
def test_a_flaky_test_without_evidence_is_unknown_and_never_newly_flaky(
    simulator, run_cli, tmp_path: Path, ids: tuple[str, ...], reason: str
) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    entries = history(["passed"] * 2) if len(ids) == 1 else history(STABLE)
    sim = simulator(flaky_run(*ids, tx=entries, TX=entries))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert result.verdict["new_flaky_tests"] == []
    assert "of unknown history on main not counted as newly flaky" in result.stdout
    assert reason in result.stdout


def test_without_a_limit_the_newly_flaky_are_listed_and_pass(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert [test["title"] for test in result.verdict["new_flaky_tests"]] == ["test tnew"]
    assert "new_flaky" not in {check["name"] for check in result.verdict["checks"]}
    assert "<summary>Newly flaky tests (1)</summary>" in result.summary


def test_a_soft_limit_of_newly_flaky_tests_warns(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  flaky: null\nwarn:\n  new_flaky: 0\n")
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert [warning["name"] for warning in result.verdict["warnings"]] == ["new_flaky"]
    assert "warning: 1 newly flaky test (warn above 0)" in result.stdout


def test_a_rule_may_set_new_flaky_for_its_branch(simulator, run_cli, tmp_path: Path) -> None:
    rule = "rules:\n  - when: {branch: 'feature/*'}\n    thresholds: {new_flaky: 0}\n"
    config(tmp_path, HISTORY + "thresholds:\n  flaky: null\n" + rule)
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    assert run_cli(env=gate_env(sim)).code == 0  # the simulator's run is on main: the rule does not apply
    on_feature = flaky_run("tnew", tnew=history(STABLE))
    on_feature.branch = "feature/x"
    sim = simulator(on_feature)
    assert run_cli(env=gate_env(sim)).code == 1


def test_the_junit_report_fails_a_newly_flaky_test_when_its_check_fails(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", "tknown", tnew=history(STABLE), tknown=history(FLAKY)))
    junit = tmp_path / "junit.xml"
    result = run_cli("--junit-file", str(junit), env=gate_env(sim))
    assert result.code == 1
    xml = junit.read_text(encoding="utf-8")
    # The check's case and the newly flaky test's case fail; the known flaky test stays a pass.
    assert xml.count('<failure type="new_flaky"') == 1 and xml.count('<failure type="flaky"') == 1
    assert 'failures="2"' in xml.split("\n")[1]


@pytest.mark.parametrize("where", ["thresholds", "warn"])
def test_new_flaky_without_a_history_section_is_a_config_error_naming_both(run_cli, tmp_path: Path, where: str) -> None:
    config(tmp_path, f"{where}:\n  new_flaky: 0\n")
    result = run_cli("validate")
    assert result.code == 2
    assert f"{where}.new_flaky: needs a `history` section (history.branch)" in result.output


def test_a_run_without_a_history_section_makes_no_history_request(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds:\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0
    assert history_paths(sim) == []
    assert result.verdict["new_flaky_tests"] == []
