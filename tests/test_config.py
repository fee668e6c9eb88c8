"""The thresholds file: defaults, every key, and strict refusal naming the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config import Policy, Thresholds, load_policy, parse_policy, parse_rate
from gate.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_built_in_defaults() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.thresholds.failed == 0 and policy.thresholds.flaky is None and policy.thresholds.min_tests == 1
    assert policy.fail_on == ("timed_out", "interrupted")


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "")).thresholds == Thresholds()


def test_every_key(tmp_path: Path) -> None:
    policy = load_policy(
        write(
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
        load_policy(write(tmp_path, "- failed\n"))


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YAML syntax error at line 3, column 9: mapping values are not allowed"):
        load_policy(write(tmp_path, "thresholds:\n  failed: 0\n   flaky: 1\n"))


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key given twice: failed"):
        load_policy(write(tmp_path, "thresholds:\n  failed: 5\n  failed: 0\n"))


def test_yaml_tags_that_run_code_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YAML syntax error"):
        load_policy(write(tmp_path, "thresholds: !!python/object/apply:os.system ['true']\n"))


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.yml")
