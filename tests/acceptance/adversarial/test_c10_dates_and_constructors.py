"""Class 10: what PyYAML's constructors would raise on (an impossible date, a number under a tag it is not,
an unhashable key, a tag naming Python) is a set-up error naming the file, and the key or the line; never a
traceback, never exit 1 or 3. Through `validate` and through the gate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate
from tests.conftest import config, validate_config

IMPOSSIBLE_DAYS = [
    "2027-02-30",
    "2026-02-29",  # not a leap year
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-01-32",
    "0000-01-01",
    "2027-02-30T10:00:00Z",
    "2027-02-30 10:00:00",
    "2027-02-30t10:00:00.5+02:00",
    "2026-12-31T24:00:00Z",
    "2026-12-31T23:60:00",
    "2026-12-31 23:59:60",
]
NOT_DAYS = ["99999-01-01", "2026-1-5", "26-12-31", "2026/12/31", "2026-12-31T10", "someday", "2026-12-31 tomorrow"]
GOOD_DAYS = [
    ("2026-12-31", "2026-12-31"),
    ("2028-02-29", "2028-02-29"),
    ("2026-12-31T10:00:00Z", "2026-12-31"),
    ("2026-12-31 23:59:59", "2026-12-31"),
    ("2026-12-31t10:00:00.123456789-05:00", "2026-12-31"),
]
QUOTES = {"unquoted": "{}", "single quotes": "'{}'", "double quotes": '"{}"', "a !!timestamp tag": "!!timestamp {}"}


def quarantine(until: str) -> str:
    return f"quarantine:\n  - spec: a.spec.ts\n    reason: PAY-1\n    until: {until}\n"


def validate(tmp_path: Path, text: str) -> tuple[int, str, str, Path]:
    path = config(tmp_path, text, "gate.yml")
    result = validate_config(str(path))
    return result.code, result.stdout, result.stderr, path


def gate(tmp_path: Path, text: str) -> tuple[int, str, str]:
    """The gate's exit code, its JSON verdict's message, and all it wrote."""
    path = config(tmp_path, text, "gate-for-the-gate.yml")
    with hostile(lambda _request: Reply(body=run_body())) as server:
        result = run_gate(tmp_path, "--config", str(path), base_url=server.url)
    return result.code, result.verdict["message"], result.everything


def refused(tmp_path: Path, text: str, problem: str) -> None:
    """Exit 2 from validate and from the gate, naming the file and the problem; no traceback."""
    code, out, err, path = validate(tmp_path, text)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    assert str(path) in err
    assert re.search(problem, err), err
    code, message, everything = gate(tmp_path, text)
    assert code == 2, message
    assert "Traceback" not in everything
    assert re.search(problem, message), message


@pytest.mark.parametrize("quote", QUOTES)
@pytest.mark.parametrize("day", IMPOSSIBLE_DAYS)
def test_an_impossible_date_is_named_by_its_key(tmp_path: Path, day: str, quote: str) -> None:
    refused(tmp_path, quarantine(QUOTES[quote].format(day)), rf"quarantine\[0\]\.until: {re.escape(day)} is not a date")


@pytest.mark.parametrize("quote", QUOTES)
@pytest.mark.parametrize("text", NOT_DAYS)
def test_a_text_that_is_no_date_is_named_by_its_key(tmp_path: Path, text: str, quote: str) -> None:
    refused(tmp_path, quarantine(QUOTES[quote].format(text)), r"quarantine\[0\]\.until: must be a date such as")


@pytest.mark.parametrize("quote", ["unquoted", "double quotes"])
@pytest.mark.parametrize(("text", "day"), GOOD_DAYS)
def test_real_dates_and_times_are_read_as_their_day(tmp_path: Path, text: str, day: str, quote: str) -> None:
    code, out, err, _path = validate(tmp_path, quarantine(QUOTES[quote].format(text)))
    assert code == 0, err
    assert f"(until {day})" in out


def test_the_second_of_several_entries_is_named(tmp_path: Path) -> None:
    text = quarantine("2026-12-31") + "  - test: t\n    reason: r\n    until: 2026-02-30\n"
    refused(tmp_path, text, r"quarantine\[1\]\.until: 2026-02-30 is not a date \(day is out of range for month\)")


def test_a_date_where_a_count_goes_is_named_by_its_key(tmp_path: Path) -> None:
    refused(tmp_path, "thresholds: {failed: 2027-02-30}\n", r"thresholds\.failed: must be a whole number.*2027-02-30")


def test_a_date_as_a_key_is_an_unknown_key_not_a_crash(tmp_path: Path) -> None:
    refused(tmp_path, "2027-02-30: x\n", r"2027-02-30: unknown key")


CONSTRUCTOR_TRAPS: dict[str, tuple[str, str]] = {
    "an unhashable list key": ("? [a]\n: b\n", r"unsupported YAML at line 1, column 3: found unhashable key"),
    "an unhashable mapping key": ("? {a: 1}\n: b\n", r"unsupported YAML at line 1.*found unhashable key"),
    "an unhashable flow key": ("thresholds: {[failed]: 1}\n", r"unsupported YAML at line 1.*found unhashable key"),
    "an unhashable key in a set": ("!!set {? [a]}\n", r"unsupported YAML at line 1.*found unhashable key"),
    "python/object/apply": ("x: !!python/object/apply:os.system ['true']\n", r"unsupported YAML at line 1.*python"),
    "python/name": ("x: !!python/name:os.system\n", r"unsupported YAML at line 1.*no tags such as !!python"),
    "python/tuple": ("x: !!python/tuple [1, 2]\n", r"unsupported YAML at line 1.*no tags such as !!python"),
    "python/object": ("x: !!python/object:gate.config.Policy {}\n", r"unsupported YAML at line 1.*python/object"),
    "a local tag": ("thresholds: !mine {failed: 0}\n", r"unsupported YAML at line 1.*'!mine'"),
    "bad base64": ("x: !!binary 'not base64!'\n", r"unsupported YAML at line 1.*base64"),
    "a bad omap": ("x: !!omap [a]\n", r"unsupported YAML at line 1.*expected a mapping of length 1"),
    "an explicit merge tag": ("x: !!merge y\n", r"unsupported YAML at line 1"),
    "a bool that is none": ("fail_fast: !!bool maybe\n", r"the YAML cannot be read at line 1, column 12: KeyError"),
    "two documents": ("version: 1\n---\nversion: 1\n", r"YAML syntax error at line 2.*another document"),
    "an undefined alias": ("thresholds: *nope\n", r"YAML syntax error at line 1.*undefined alias"),
}
NUMBER_TRAPS: dict[str, tuple[str, str]] = {
    "!!int on a word": ("thresholds: {failed: !!int abc}\n", r"thresholds\.failed: must be a whole number.*not abc"),
    "!!float on a word": ("thresholds: {failed: !!float abc}\n", r"thresholds\.failed: must be a whole number"),
    "!!int on a float": ("thresholds: {skipped: !!int 1.5}\n", r"thresholds\.skipped: must be a whole number"),
    "!!int with 5,000 digits": (f"thresholds: {{flaky: !!int {'7' * 5000}}}\n", r"thresholds\.flaky: must be a whole"),
    "an int with 5,000 digits": (f"thresholds: {{flaky: {'7' * 5000}}}\n", r"thresholds\.flaky: must be a whole"),
    "a hex int with 1,000 digits": (f"thresholds: {{flaky: 0x{'f' * 1000}}}\n", r"thresholds\.flaky: must be a whole"),
    "a float with 5,000 digits": (
        f"thresholds: {{flaky_rate: 0.{'1' * 5000}}}\n",
        r"thresholds\.flaky_rate: must be a",
    ),
    "!!float on a rate word": ("thresholds: {failed_rate: !!float two}\n", r"thresholds\.failed_rate: must be a rate"),
}


@pytest.mark.parametrize("name", CONSTRUCTOR_TRAPS)
def test_what_a_constructor_would_raise_on_is_a_set_up_error_with_its_line(tmp_path: Path, name: str) -> None:
    text, problem = CONSTRUCTOR_TRAPS[name]
    refused(tmp_path, text, problem)


@pytest.mark.parametrize("name", NUMBER_TRAPS)
def test_a_number_yaml_cannot_read_is_named_by_its_key(tmp_path: Path, name: str) -> None:
    text, problem = NUMBER_TRAPS[name]
    refused(tmp_path, text, problem)


@pytest.mark.parametrize(("text", "value"), [("+5", 5), ("3.0", 3), ("!!int '4'", 4)])
def test_plain_integer_forms_still_read(tmp_path: Path, text: str, value: int) -> None:
    """YAML 1.1's other forms (1_000, 0x10, 017, 1:30) are refused: see test_c10_yaml_numbers."""
    code, out, err, _path = validate(tmp_path, f"thresholds: {{flaky: {text}}}\n")
    assert code == 0, err
    assert f"flaky tests <= {value}" in out
