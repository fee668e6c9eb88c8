"""Class 6 (settings and config): a number too big, infinite or not a number at all, given as a flag, a
PLAYDASH_* variable, an action input or a config value, is a set-up error (exit 2) naming where it came
from and the bound; never an OverflowError or any other traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate
from tests.conftest import config, validate_config

TOO_LONG = [
    "10000000000",
    "86401",
    "86400.001",
    "1441m",
    "24.5h",
    "86400001ms",
    "99999999999999999999999999h",
    "1" + "0" * 400,
    "9" * 5_000 + "s",
    "1" + "0" * 309 + ".5",
]
# Each duration setting: its flag, its variable, and its action input (hyphens kept, or as underscores).
DURATIONS = {
    "timeout": ("--timeout", "PLAYDASH_TIMEOUT", "INPUT_TIMEOUT", "INPUT_TIMEOUT", "timeout"),
    "poll_interval": (
        "--poll-interval",
        "PLAYDASH_POLL_INTERVAL",
        "INPUT_POLL-INTERVAL",
        "INPUT_POLL_INTERVAL",
        "poll-interval",
    ),
    "max_poll_interval": (
        "--max-poll-interval",
        "PLAYDASH_MAX_POLL_INTERVAL",
        "INPUT_MAX-POLL-INTERVAL",
        "INPUT_MAX_POLL_INTERVAL",
        "max-poll-interval",
    ),
}
WAYS = ["flag", "variable", "input", "input with underscores"]


def short_id(raw: str) -> str:
    return raw if len(raw) < 30 else f"{raw[:6]}…({len(raw)} characters)"


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("setting", DURATIONS)
@pytest.mark.parametrize("raw", TOO_LONG, ids=short_id)
def test_a_duration_over_a_day_is_a_set_up_error_naming_where_it_came_from(
    tmp_path: Path, raw: str, setting: str, way: str
) -> None:
    flag, variable, hyphens, underscores, input_name = DURATIONS[setting]
    args: tuple[str, ...] = ()
    env: dict[str, str] = {}
    if way == "flag":
        args, name = (flag, raw), flag
    elif way == "variable":
        env, name = {variable: raw}, variable
    else:
        env, name = {hyphens if way == "input" else underscores: raw}, f"input `{input_name}`"
    with hostile(lambda _request: Reply(body=run_body())) as server:
        result = run_gate(tmp_path, *args, base_url=server.url, env=env)
        assert server.requests == []  # refused before any request
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.everything and "OverflowError" not in result.everything
    message = result.verdict["message"]
    assert message.startswith(f"{name} must be at most 24h (86400s)"), message
    assert len(message) < 300
    assert result.verdict["error_kind"] == "setup"


@pytest.mark.parametrize("raw", ["24h", "1440m", "86400", "86400s"])
def test_a_timeout_of_a_day_is_accepted(tmp_path: Path, raw: str) -> None:
    with hostile(lambda _request: Reply(body=run_body())) as server:
        result = run_gate(tmp_path, "--timeout", raw, base_url=server.url)
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e999", "0", "-1s", "0x10", "½h", "1,5s", "10 000"])
def test_a_duration_that_is_no_positive_number_names_the_flag(tmp_path: Path, raw: str) -> None:
    result = run_gate(tmp_path, f"--timeout={raw}", base_url="http://127.0.0.1:9")
    assert result.code == 2
    assert "Traceback" not in result.everything
    assert result.verdict["message"].startswith("--timeout must be a duration above zero")


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    result = validate_config(str(config(tmp_path, text, "gate.yml")))
    return result.code, result.output


COUNT_PLACES = [
    ("thresholds: {{failed: {}}}\n", "thresholds.failed"),
    ("thresholds: {{timed_out: {}}}\n", "thresholds.timed_out"),
    ("thresholds: {{min_tests: {}}}\n", "thresholds.min_tests"),
    ("warn: {{flaky: {}}}\n", "warn.flaky"),
    ("rules: [{{when: {{branch: main}}, thresholds: {{skipped: {}}}}}]\n", "rules[0].thresholds.skipped"),
    ("baseline: {{branch: main, new_failures: {}}}\n", "baseline.new_failures"),
]
BAD_COUNTS = [
    "1e999",
    ".inf",
    "-.inf",
    ".nan",
    ".NaN",
    "1.0e+400",
    "1e300",
    "1.0e+300",
    "1_000_000_001",
    "10000000000",
    "9" * 5_000,
    "9" * 200_000,
    "!!int " + "9" * 5_000,
    "-1",
    "-.5",
    "0.5",
    "!!float nan",
]
RATE_PLACES = [
    ("thresholds: {{failed_rate: {}}}\n", "thresholds.failed_rate"),
    ("warn: {{flaky_rate: {}}}\n", "warn.flaky_rate"),
    ("rules: [{{when: {{tags: [x]}}, thresholds: {{flaky_rate: {}}}}}]\n", "rules[0].thresholds.flaky_rate"),
]
BAD_RATES = [
    "nan%",
    "'nan%'",
    "1e999%",
    "'1e999%'",
    "inf%",
    ".nan",
    ".inf",
    "1.0e+400",
    "100.0000001%",
    "'9999999999999999999999999999%'",
    "'" + "9" * 5_000 + "%'",
    "'0." + "0" * 5_000 + "1 %%'",
    "-0.1",
    "'-1%'",
    "2",
    "10**5000",
]


@pytest.mark.parametrize(("template", "key"), COUNT_PLACES, ids=[key for _t, key in COUNT_PLACES])
@pytest.mark.parametrize("value", BAD_COUNTS, ids=short_id)
def test_a_count_no_gate_can_use_is_named_by_its_key(tmp_path: Path, value: str, template: str, key: str) -> None:
    code, text = validate(tmp_path, template.format(value))
    assert code == 2, text
    assert "Traceback" not in text
    assert re.search(rf"{re.escape(key)}: must be (a whole number from 0 to 1,000,000,000|0 or more)", text), text
    assert len(text) < 1_000


@pytest.mark.parametrize(("template", "key"), RATE_PLACES, ids=[key for _t, key in RATE_PLACES])
@pytest.mark.parametrize("value", BAD_RATES, ids=short_id)
def test_a_rate_no_gate_can_use_is_named_by_its_key(tmp_path: Path, value: str, template: str, key: str) -> None:
    code, text = validate(tmp_path, template.format(value))
    assert code == 2, text
    assert "Traceback" not in text
    assert f"{key}: must be a rate from 0% to 100%" in text, text
    assert len(text) < 1_000


@pytest.mark.parametrize(
    "text",
    ["thresholds: {failed: 1e999}\n", "thresholds: {failed: .nan}\n", f"thresholds: {{failed: {'9' * 5000}}}\n"],
    ids=["1e999", ".nan", "5,000 digits"],
)
def test_the_gate_refuses_such_a_config_with_exit_2(tmp_path: Path, text: str) -> None:
    path = tmp_path / "numbers.yml"
    path.write_text(text)
    with hostile(lambda _request: Reply(body=run_body())) as server:
        result = run_gate(tmp_path, "--config", str(path), base_url=server.url)
    assert result.code == 2
    assert "Traceback" not in result.everything
    assert "thresholds.failed: must be a whole number from 0 to 1,000,000,000" in result.verdict["message"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("thresholds: {failed: 1000000000, min_tests: 0}\n", "failed tests <= 1000000000"),
        ("thresholds: {failed_rate: 100%, flaky_rate: 0.0}\n", "failed rate <= 100"),
        ("thresholds: {failed: 1000.0}\n", "failed tests <= 1000"),
    ],
)
def test_the_largest_sane_values_are_taken(tmp_path: Path, text: str, shown: str) -> None:
    code, output = validate(tmp_path, text)
    assert code == 0, output
    assert shown in output
