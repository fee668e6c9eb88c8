"""The shipped JSON Schema and the config loader agree: on every example config, and on invalid ones."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from gate.config import COUNT_KEYS, Thresholds, load_yaml, policy_problems

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(resources.files("gate.schema").joinpath("playdash-gate.schema.json").read_text())
EXAMPLES = sorted(path for path in (ROOT / "examples").rglob("*.yml") if "playdash-gate" in path.name)
IMPOSSIBLE_DAYS = ["2027-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-32", "0000-01-01", "99999-01-01"]
INVALID = [
    {"thresholds": {"faild": 0}},
    {"thresholds": {"failed": -1}},
    {"thresholds": {"failed": "two"}},
    {"thresholds": {"failed": 1.5}},
    {"thresholds": {"flaky": True}},
    {"thresholds": {"failed_rate": "150%"}},
    {"thresholds": {"failed_rate": "100.5%"}},
    {"thresholds": {"failed_rate": 2}},
    {"thresholds": {"flaky_rate": -0.1}},
    {"thresholds": {"flaky_rate": "ten"}},
    {"thresholds": [1]},
    {"status": {"fail_on": ["exploded"]}},
    {"status": {"fail_on": ["passed"]}},
    {"status": {"fail_on": "timed_out"}},
    {"status": {"failon": []}},
    {"version": 2},
    {"version": True},
    {"extra": 1},
    ["failed"],
    "failed: 0",
    {"warn": {"flaky": -1}},
    {"warn": {"flakey": 1}},
    {"quarantine": [{"spec": "a.spec.ts", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a.spec.ts", "reason": "r"}]},
    {"quarantine": [{"reason": "r", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "someday"}]},
    {"quarantine": [{"spec": "a", "reason": "", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "2026-12-31", "ticket": 1}]},
    {"quarantine": {"spec": "a"}},
    {"rules": [{"thresholds": {"flaky": 0}}]},
    {"rules": [{"when": {}, "thresholds": {"flaky": 0}}]},
    {"rules": [{"when": {"branch": "main", "tag": ["x"]}}]},
    {"rules": [{"when": {"tags": "nightly"}}]},
    {"rules": [{"when": {"branch": "main"}, "thresholds": {"flaky": "x"}}]},
    {"baseline": {"new_failures": 0}},
    {"baseline": {"branch": "main", "new_failures": -1}},
    {"fail_fast": "yes"},
    {"thresholds": {"failed": 1_000_000_001}},
    {"thresholds": {"timed_out": -1}},
    {"baseline": {"branch": "main", "new_failures": 10**12}},
    *({"quarantine": [{"spec": "a", "reason": "r", "until": day}]} for day in IMPOSSIBLE_DAYS),
    {"rules": [{"when": {"branh": "main"}}]},
]
VALID = [
    None,
    {},
    {"version": 1},
    {"thresholds": None},
    {"thresholds": {"failed": None, "flaky": 0, "failed_rate": "2%", "flaky_rate": 0.1, "min_tests": 2.0}},
    {"thresholds": {"failed_rate": " 2.5 % ", "flaky_rate": "100%"}},
    {"status": {"fail_on": ["timedOut", "interrupted", "failed"]}},
    {"status": {"fail_on": []}},
    {"warn": {"flaky": 2, "min_tests": 10}},
    {
        "quarantine": [
            {
                "spec": "checkout/*.spec.ts",
                "test": "applies a * coupon",
                "reason": "PAY-123",
                "owner": "@payments",
                "until": "2026-12-31",
            },
            {"test": "t", "reason": "r", "until": "2027-01-01"},
        ]
    },
    {
        "rules": [
            {"when": {"branch": "release/*"}, "thresholds": {"flaky": 0}},
            {"when": {"tags": ["nightly"]}, "thresholds": {"failed_rate": "5%"}, "warn": {"flaky": 10}},
            {"when": {"branch": "main", "tags": ["smoke"]}, "status": {"fail_on": ["failed"]}},
        ]
    },
    {"baseline": {"branch": "main", "new_failures": 0}},
    {"baseline": {"branch": "main"}},
    {"fail_fast": True},
    {"thresholds": {"timed_out": None, "interrupted": 1, "failed": 1_000_000_000}},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "2028-02-29"}]},
    {"quarantine": [{"spec": "a", "reason": "r" * 1000, "owner": "o" * 1000, "until": "2026-12-31"}]},
]
TOO_BIG = {
    "a reason over 1,000 characters": {"quarantine": [{"spec": "a", "reason": "r" * 1001, "until": "2026-12-31"}]},
    "a glob over 1,000 characters": {"quarantine": [{"spec": "a" * 1001, "reason": "r", "until": "2026-12-31"}]},
    "a tag over 1,000 characters": {"rules": [{"when": {"tags": ["t" * 1001]}}]},
    "over 1,000 quarantine entries": {"quarantine": [{"spec": "a", "reason": "r", "until": "2026-12-31"}] * 1001},
    "over 1,000 rules": {"rules": [{"when": {"branch": "main"}}] * 1001},
}


def schema_accepts(data: object) -> bool:
    """As an editor sees the file: YAML dates are the text they were written as."""
    as_json = json.loads(json.dumps(data, default=str))
    return not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(as_json))


def loader_accepts(data: object) -> bool:
    return not policy_problems(data)[1]


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_example_config_is_valid_under_both(path: Path) -> None:
    data = load_yaml(path.read_text(), str(path))
    assert schema_accepts(data)
    assert loader_accepts(data)


def test_there_are_example_configs() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("data", VALID, ids=repr)
def test_valid_configs_are_accepted_by_both(data: object) -> None:
    assert schema_accepts(data)
    assert loader_accepts(data)


@pytest.mark.parametrize("data", INVALID, ids=repr)
def test_invalid_configs_are_refused_by_both(data: object) -> None:
    assert not schema_accepts(data)
    assert not loader_accepts(data)


@pytest.mark.parametrize("data", TOO_BIG.values(), ids=TOO_BIG.keys())
def test_configs_over_a_bound_are_refused_by_both(data: object) -> None:
    assert not schema_accepts(data)
    assert not loader_accepts(data)


@pytest.mark.parametrize("key", [*COUNT_KEYS, "min_tests"])
def test_the_schema_states_the_defaults_the_loader_uses(key: str) -> None:
    default = getattr(Thresholds(), key)
    description = SCHEMA["$defs"]["limits"]["properties"][key]["description"]
    assert (f"default {default}" if default is not None else "default: no limit") in description


def test_the_readme_config_reference_is_valid() -> None:
    text = (ROOT / "README.md").read_text()
    block = (
        text.split("`.playdash-gate.yml` (version 1; every section optional):")[1].split("```yaml")[1].split("```")[0]
    )
    data = yaml.safe_load(block)
    assert schema_accepts(data) and loader_accepts(data)
