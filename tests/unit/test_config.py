"""The thresholds file: defaults, every key, and strict refusal naming the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.load import load_policy
from gate.config.messages import MAX_PROBLEMS, NumberText
from gate.config.parse import parse_policy, parse_rate
from gate.config.types import Policy, Thresholds
from gate.errors import ConfigError
from gate.text import SHOWN_CHARS, shown
from tests.conftest import config


def test_no_file_gives_the_built_in_defaults() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.thresholds.failed == 0 and policy.thresholds.flaky is None and policy.thresholds.min_tests == 1
    # Playwright counts a timed-out (or interrupted) test as a failure: so do the defaults.
    assert policy.thresholds.timed_out == 0 and policy.thresholds.interrupted == 0
    assert policy.fail_on == ("timed_out", "interrupted")


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_policy(config(tmp_path, "")).thresholds == Thresholds()


def test_every_key(tmp_path: Path) -> None:
    policy = load_policy(
        config(
            tmp_path,
            """
version: 1
thresholds:
  failed: 2
  flaky: 5
  skipped: null
  timed_out: 0
  interrupted: 1
  failed_rate: 2%
  flaky_rate: 0.1
  min_tests: 10
status:
  fail_on: [timedOut, interrupted, failed]
""",
            "gate.yml",
        )
    )
    assert policy.thresholds == Thresholds(
        failed=2, flaky=5, skipped=None, timed_out=0, interrupted=1, failed_rate=0.02, flaky_rate=0.1, min_tests=10
    )
    assert policy.fail_on == ("timed_out", "interrupted", "failed")
    assert policy.source.endswith("gate.yml")


def test_failed_null_means_no_limit() -> None:
    assert parse_policy({"thresholds": {"failed": None}}, "x").thresholds.failed is None


def test_fail_on_empty_list() -> None:
    assert parse_policy({"status": {"fail_on": []}}, "x").fail_on == ()


@pytest.mark.parametrize(
    ("raw", "rate"), [("2%", 0.02), (" 2.5 % ", 0.025), (0.02, 0.02), (0, 0.0), (1, 1.0), ("100%", 1.0)]
)
def test_rates(raw: object, rate: float) -> None:
    assert parse_rate(raw) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"thresholds": {"faild": 0}}, "thresholds.faild: unknown key; did you mean `failed`?"),
        ({"threshold": {}}, "threshold: unknown key; did you mean `thresholds`?"),
        ({"thresholds": {"failed": -1}}, "thresholds.failed: must be 0 or more"),
        ({"thresholds": {"failed": "two"}}, "thresholds.failed: must be a whole number"),
        ({"thresholds": {"failed": 1.5}}, "thresholds.failed: must be a whole number"),
        ({"thresholds": {"flaky": True}}, "thresholds.flaky: must be a whole number"),
        ({"thresholds": {"failed_rate": "150%"}}, "thresholds.failed_rate: must be a rate from 0% to 100%"),
        ({"thresholds": {"failed_rate": 2}}, "thresholds.failed_rate: must be a rate"),
        ({"thresholds": {"flaky_rate": -0.1}}, "thresholds.flaky_rate: must be a rate"),
        ({"thresholds": {"flaky_rate": "ten"}}, "thresholds.flaky_rate: must be a rate"),
        ({"thresholds": {"min_tests": -3}}, "thresholds.min_tests: must be 0 or more"),
        ({"thresholds": [1, 2]}, "thresholds: must be a mapping"),
        ({"status": {"fail_on": ["exploded"]}}, "status.fail_on[0]: must be one of failed, timed_out, interrupted"),
        ({"status": {"fail_on": ["passed"]}}, "status.fail_on[0]: must be one of"),
        ({"status": {"fail_on": "timed_out"}}, "status.fail_on: must be a list"),
        ({"status": {"failon": []}}, "status.failon: unknown key"),
        ({"version": 2}, "version: must be 1"),
        (
            {"thresholds": {"failed": 1_000_000_001}},
            "thresholds.failed: must be a whole number from 0 to 1,000,000,000",
        ),
        ({"thresholds": {"min_tests": 10**40}}, "thresholds.min_tests: must be a whole number from 0"),
        ({"thresholds": {"flaky": 1e300}}, "thresholds.flaky: must be a whole number from 0"),
        ({"thresholds": {"timedOut": 1}}, "thresholds.timedOut: unknown key; did you mean `timed_out`?"),
        ({"thresholds": {"skip": 1}}, "thresholds.skip: unknown key; did you mean `skipped`?"),
        ({"status": {"fail-on": []}}, "status.fail-on: unknown key; did you mean `fail_on`?"),
        ({"rules": [{"when": {"branh": "main"}}]}, "rules[0].when.branh: unknown key; did you mean `branch`?"),
        ({"rules": [{"when": {"tag": ["x"]}}]}, "rules[0].when.tag: unknown key; did you mean `tags`?"),
        ({"rules": [{"whne": {"branch": "main"}}]}, "rules[0].whne: unknown key; did you mean `when`?"),
        ({"rules": [{"thresholds": {"flaky": 0}}]}, "rules[0].when: is required"),
        ({"rules": [{"when": {}}]}, "rules[0].when: is empty"),
        ({"rules": [{"when": "main"}]}, "rules[0].when: must be a mapping"),
        ({"quarantine": [{"test": "t", "reason": "r", "until": "2026-12-31", "untill": 1}]}, "quarantine[0].untill"),
        ({"baseline": {"branch": "main", "new_failure": 0}}, "baseline.new_failure: unknown key; did you mean"),
        (
            {"quarantine": [{"test": "t", "reason": "r" * 1001, "until": "2026-12-31"}]},
            "quarantine[0].reason: is 1,001",
        ),
        ({"quarantine": [{"test": "t" * 1001, "reason": "r", "until": "2026-12-31"}]}, "quarantine[0].test: is 1,001"),
        ({"quarantine": [{"test": "t", "reason": "r"}] * 1001}, "quarantine: has 1,001 entries; at most 1,000"),
        ({"rules": [{"when": {"branch": "x"}}] * 1001}, "rules: has 1,001 entries; at most 1,000"),
    ],
)
def test_strict_refusals_name_the_key_path(data: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(data, "gate.yml")
    assert "gate.yml" in caught.value.message
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_listed_not_only_the_first() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy({"thresholds": {"faild": 0, "flaky": -1, "failed_rate": "x"}, "extra": 1}, "gate.yml")
    assert len(caught.value.problems) == 4


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_policy(config(tmp_path, "- failed\n"))


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YAML syntax error at line 3, column 9: mapping values are not allowed"):
        load_policy(config(tmp_path, "thresholds:\n  failed: 0\n   flaky: 1\n"))


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key given twice: failed"):
        load_policy(config(tmp_path, "thresholds:\n  failed: 5\n  failed: 0\n"))


def test_yaml_tags_that_run_code_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unsupported YAML at line 1, column 13: .*no tags such as !!python"):
        load_policy(config(tmp_path, "thresholds: !!python/object/apply:os.system ['true']\n"))


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.yml")


def test_a_typo_inside_when_is_named_as_the_typo_not_as_a_missing_when() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy({"rules": [{"when": {"branh": "main"}}]}, "gate.yml")
    assert caught.value.problems == ["rules[0].when.branh: unknown key; did you mean `branch`?"]


def test_yaml_merge_keys_work_and_an_override_is_not_a_duplicate(tmp_path: Path) -> None:
    policy = load_policy(
        config(
            tmp_path,
            """
rules:
  - when: {branch: main}
    thresholds: &strict {flaky: 0, failed: 0}
  - when: {tags: [nightly]}
    thresholds: {<<: *strict, failed: 2}
""",
        )
    )
    assert policy.rules[1].thresholds == {"failed": 2, "flaky": 0}


def test_a_long_list_of_problems_is_cut_with_how_many_more() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy({"thresholds": {f"bad{i}": 1 for i in range(500)}}, "gate.yml")
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == f"…and {500 - MAX_PROBLEMS} more problems"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", "'short'"),
        ("x" * 10_000, "'" + "x" * 58 + "…"),
        (list(range(100_000)), "[0, 1, 2, 3, ...]"),
        ({"a": {"b": {"c": {"d": 1}}}}, "{'a': {'b': {...}}}"),
        (10**5000, "a number of about 5000 digits"),
        (NumberText("9" * 500), "9" * 59 + "…"),
    ],
    ids=["text", "long text", "long list", "deep mapping", "huge number", "unread number"],
)
def test_values_in_messages_are_shown_short(value: object, expected: str) -> None:
    assert shown(value) == expected
    assert len(shown(value)) <= SHOWN_CHARS
