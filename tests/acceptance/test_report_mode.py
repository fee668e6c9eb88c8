"""`--mode report`: the gate does all it does enforced, but only a set-up error stops the pipeline, and every
report says loudly what the gate would have done."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli import run as run_module
from gate.report import junit
from gate.simulator import SimRun
from tests.acceptance.test_action import run_action
from tests.conftest import gate_env

FAILING = SimRun(counts={"passed": 10, "failed": 2})
LOUD = "report-only: this run would have failed the gate (exit 1); --mode report let the pipeline go on (exit 0)"


def test_a_failing_run_exits_0_and_every_report_says_it_would_have_failed(simulator, run_cli) -> None:
    result = run_cli("--mode", "report", env=gate_env(simulator(FAILING)))
    assert result.code == 0, result.output
    assert result.stdout.rstrip().endswith(LOUD.upper()), result.stdout
    assert "✖ gate failed: " in result.stdout  # the verdict itself is told as it is
    assert result.summary.startswith("## ❌ Playwright gate failed")
    assert "> ⚠️ **report-only: this run would have failed the gate" in result.summary
    verdict = result.verdict
    assert (verdict["verdict"], verdict["exit_code"], verdict["enforced"], verdict["would_exit"]) == (
        "fail",
        0,
        False,
        1,
    )


def test_no_verdict_exits_0_in_report_mode_and_says_so(simulator, run_cli) -> None:
    sim = simulator(FAILING, fault_rate=1.0, random_faults=[{"status": 503}])
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1.5s", PLAYDASH_MODE="report"))
    assert result.code == 0, result.output
    assert "REPORT-ONLY: THIS RUN WOULD HAVE ENDED WITH NO VERDICT (EXIT 3)" in result.output
    assert "would have ended with no verdict \\(exit 3\\)" in result.summary
    assert (result.verdict["verdict"], result.verdict["exit_code"], result.verdict["would_exit"]) == ("error", 0, 3)


def test_a_set_up_error_still_exits_2_in_report_mode(simulator, run_cli, tmp_path: Path) -> None:
    (tmp_path / "gate.yml").write_text("thresholds: {faild: 0}\n")
    result = run_cli("--mode", "report", "--config", "gate.yml", env=gate_env(simulator(FAILING)))
    assert result.code == 2, result.output
    assert "report-only" not in result.output.lower() and "report-only" not in result.summary
    assert (result.verdict["exit_code"], result.verdict["would_exit"], result.verdict["enforced"]) == (2, 2, False)


def test_a_passing_run_in_report_mode_is_told_as_it_is(simulator, run_cli) -> None:
    result = run_cli(env=gate_env(simulator(SimRun()), PLAYDASH_MODE=" Report "))
    assert result.code == 0
    assert "report-only" not in result.output.lower()
    assert (result.verdict["enforced"], result.verdict["would_exit"]) == (False, 0)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("--mode", "warn"), {}, "--mode must be enforce (the default"),
        ((), {"PLAYDASH_MODE": "dry-run"}, "PLAYDASH_MODE must be enforce (the default"),
    ],
)
def test_an_unknown_mode_is_a_set_up_error_naming_its_setting(simulator, run_cli, args, env, named) -> None:
    result = run_cli(*args, env={**gate_env(simulator(FAILING)), **env})
    assert result.code == 2, result.output
    assert named in result.stderr and "or report (" in result.stderr


def test_the_action_in_report_mode_keeps_the_real_verdict_in_its_outputs(simulator, tmp_path: Path) -> None:
    result = run_action(simulator(FAILING), tmp_path, mode="report")
    assert result["code"] == 0, result["stdout"] + result["stderr"]
    assert result["outputs"]["verdict"] == "fail" and result["outputs"]["exit-code"] == "0"
    assert "::warning title=Playwright gate%3A report-only::report-only: this run would have failed" in result["stdout"]
    assert "::error title=Playwright gate failed::" in result["stdout"]


def _junit_runs_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def chunks(_outcome: object) -> list[str]:
        raise MemoryError

    monkeypatch.setattr(junit, "chunks", chunks)


@pytest.mark.parametrize(
    ("config", "run", "code"),
    [
        ("thresholds: {failed: 0}\n", FAILING, 0),  # no verdict, as memory ran out: report mode lets it through
        ("thresholds: {faild: 0}\n", FAILING, 2),  # a set-up error is wrong either way
    ],
    ids=["failing-run", "set-up-error"],
)
def test_memory_running_out_in_a_sink_in_report_mode(
    simulator, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, run: SimRun, code: int
) -> None:
    (tmp_path / "gate.yml").write_text(config)
    _junit_runs_out_of_memory(monkeypatch)
    args = ("--mode", "report", "--config", "gate.yml", "--junit-file", "junit.xml")
    result = run_cli(*args, env=gate_env(simulator(run)))
    assert result.code == code, result.output
    assert result.verdict["exit_code"] == code


def test_a_flag_refused_in_report_mode_says_report_mode_too(run_cli) -> None:
    result = run_cli("--timeout", "soon", env={"PLAYDASH_MODE": "report"})
    assert result.code == 2
    assert (result.verdict["exit_code"], result.verdict["enforced"]) == (2, False)


def test_a_bug_in_the_gate_exits_3_even_in_report_mode(simulator, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(run_module, "judge", broken)
    result = run_cli("--mode", "report", env=gate_env(simulator(FAILING)))
    assert result.code == 3, result.output
    assert "this is a bug in playdash-gate" in result.stderr
    assert "REPORT-ONLY" not in result.output
