"""What a new user's scenario mistakes get (#24 item 3): the file's own problem, a "did you mean", one spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.simulator import Scenario


def test_a_scenario_file_that_does_not_parse_says_what_is_wrong_with_it(run_cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("runs:\n  - counts: {failed: 1}\n")
    result = run_cli("demo", "--scenario", "bad.yaml")
    assert result.code == 2
    assert "demo: --scenario bad.yaml: is not JSON" in result.stderr
    assert "no example scenario has that name" not in result.output


def test_a_mistyped_scenario_key_gets_a_did_you_mean(run_cli, tmp_path: Path) -> None:
    (tmp_path / "mine.json").write_text(json.dumps({"runs": [{"brnach": "main"}]}))
    result = run_cli("demo", "--scenario", "mine.json")
    assert result.code == 2
    assert "runs[0].brnach: unknown key; did you mean `branch`?" in result.stderr


def test_a_final_status_the_gate_does_not_know_is_refused_naming_the_key(run_cli, tmp_path: Path) -> None:
    (tmp_path / "mine.json").write_text(json.dumps({"runs": [{"final_status": "borked"}]}))
    result = run_cli("demo", "--scenario", "mine.json")
    assert result.code == 2, result.output
    assert "runs[0].final_status: expected one of failed, interrupted, passed, timed_out, timedOut or null" in (
        result.stderr
    )


@pytest.mark.parametrize("spelling", ["timed_out", "timedOut"])
def test_a_timed_out_test_is_spelled_as_the_api_does_in_tests_and_counts_alike(run_cli, tmp_path, spelling) -> None:
    """`timed_out` (the API's status filter) everywhere; `timedOut` (a run's spelling) in a test's status too."""
    run = {
        "final_status": "timed_out",
        "tests": [
            {"spec": "pay.spec.ts", "title": "waits for the iframe", "status": spelling},
            {"spec": "pay.spec.ts", "title": "pays", "status": "passed"},
        ],
    }
    (tmp_path / "mine.json").write_text(json.dumps({"runs": [run]}))
    result = run_cli("demo", "--scenario", "mine.json")
    assert result.code == 1, result.output
    assert "1 timed_out" in result.stdout or "1 timed out" in result.stdout


def test_counts_spell_timed_out_and_the_other_spelling_gets_a_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"runs\[0\]\.counts\.timedOut: unknown key; did you mean `timed_out`\?"):
        Scenario.from_dict({"runs": [{"counts": {"timedOut": 2}}]})
    assert Scenario.from_dict({"runs": [{"counts": {"timed_out": 2}}]}).runs[0].counts == {"timed_out": 2}
