"""The published JSON Schema of the verdict file: shipped in the package, copied in docs/, versioned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.report.json_report import SCHEMA_VERSION
from tests.conftest import VERDICT_SCHEMA, assert_valid_verdict

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_copy_is_the_shipped_schema() -> None:
    assert (ROOT / "docs" / "verdict.schema.json").read_bytes() == VERDICT_SCHEMA.read_bytes()


def test_the_schema_is_the_version_the_gate_writes() -> None:
    schema = json.loads(VERDICT_SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["schema_version"] == {**schema["properties"]["schema_version"], "const": SCHEMA_VERSION}
    assert f"Version {SCHEMA_VERSION}." in schema["description"]
    # Every field is always there: a reader never has to guess whether a key was left out.
    assert set(schema["required"]) == set(schema["properties"])


def test_the_check_refuses_a_verdict_the_schema_does_not_describe(run_cli, tmp_path: Path) -> None:
    result = run_cli("--from-file", str(ROOT / "tests" / "data" / "get-run-example.json"), env={})
    assert result.code == 1
    assert_valid_verdict(result.json_path)
    changes = (
        {"surprise": 1},
        {"verdict": "maybe"},
        {"exit_code": 7},
        {"failed_tests": [{"title": "x"}]},
        # The fields that say what the gate came to must agree with each other.
        {"verdict": "pass"},  # with exit code 1
        {"exit_code": 0},  # a fail that exits 0
        {"error_kind": "setup"},  # a fail with an error
        {"verdict": "error", "error_kind": None},
        {"verdict": "error", "error_kind": "timeout"},  # an error that exits 1
        {"passed_on_unavailable": True},
    )
    for change in changes:
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps({**result.verdict, **change}))
        with pytest.raises(AssertionError, match="does not match verdict.schema.json"):
            assert_valid_verdict(broken)
