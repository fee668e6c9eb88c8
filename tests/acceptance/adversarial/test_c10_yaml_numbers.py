"""Class 10 (newcomers): YAML 1.1's other ways of writing a number are refused, never read as another number.

`failed: 1:30` is 90 to PyYAML, `0x10` is 16, `010` is 8 and `1_0` is 10: each would silently let more
failures through than the user meant. Only plain decimals are numbers; the rest is named by its key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate
from tests.conftest import config, validate_config


@pytest.mark.parametrize("written", ["1:30", "0x10", "0o17", "010", "1_0", "1:30.5", "1_0.5", "0b101"])
@pytest.mark.parametrize("key", ["thresholds.failed", "warn.flaky", "baseline.new_failures"])
def test_a_number_only_yaml_1_1_reads_is_refused_by_its_key(tmp_path: Path, written: str, key: str) -> None:
    section, name = key.split(".")
    extra = "  branch: main\n" if section == "baseline" else ""
    result = validate_config(str(config(tmp_path, f"{section}:\n{extra}  {name}: {written}\n", "gate.yml")))
    assert result.code == 2
    assert f"{key}: must be" in result.stderr


def test_the_gate_refuses_it_before_judging(tmp_path: Path) -> None:
    path = tmp_path / "gate.yml"
    path.write_text("thresholds:\n  failed: 1:30\n")
    with hostile(lambda _request: Reply(body=run_body(status="failed", counts={"passed": 3, "failed": 1}))) as server:
        result = run_gate(tmp_path, "--config", str(path), base_url=server.url)
    assert result.code == 2
    assert "thresholds.failed" in result.verdict["message"]


@pytest.mark.parametrize("written", ["3", "+3", "0", "-0", "3.0"])
def test_plain_decimals_are_numbers(tmp_path: Path, written: str) -> None:
    result = validate_config(str(config(tmp_path, f"thresholds:\n  failed: {written}\n", "gate.yml")))
    assert result.code == 0, result.stderr
