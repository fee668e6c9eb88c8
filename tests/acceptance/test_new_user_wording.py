"""What a new user reads (#24 item 4): a far quarantine's date, and `demo --help`."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest

from gate import cli
from gate.simulator import SimRun
from tests.conftest import gate_env, validate_config

FAILED = [{"spec": "checkout/pay.spec.ts", "title": "pays by card", "status": "failed"}]


def _quarantine(tmp_path: Path, until: datetime.date) -> None:
    (tmp_path / ".playdash-gate.yml").write_text(
        f'quarantine:\n  - {{spec: "checkout/*", reason: "PAY-1", owner: "@payments", until: {until.isoformat()}}}\n'
    )


def test_a_quarantine_more_than_a_year_away_shows_its_date(simulator, run_cli, tmp_path: Path) -> None:
    _quarantine(tmp_path, datetime.date(2099, 1, 1))
    result = run_cli(env=gate_env(simulator(SimRun(tests=FAILED))))
    assert result.code == 0, result.output
    for text in (result.stdout, result.summary):
        assert "PAY-1 · @payments · until 2099-01-01" in text
        assert "days left" not in text
    validated = run_cli("validate")
    assert "PAY-1 · @payments · until 2099-01-01" in validated.stdout
    assert "days left" not in validated.stdout


def test_a_quarantine_within_a_year_shows_the_days_left(simulator, run_cli, tmp_path: Path) -> None:
    # A month away, counted by the gate's UTC day: 29 to 31 days left whatever the hour.
    _quarantine(tmp_path, datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=30))
    result = run_cli(env=gate_env(simulator(SimRun(tests=FAILED))))
    assert result.code == 0, result.output
    assert any(f"PAY-1 · @payments · {days} days left" in result.summary for days in (29, 30, 31)), result.summary


def _demo_help() -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as ended:
        cli.main(["demo", "--help"], {}, out, err)
    assert ended.value.code == 0
    return out.getvalue()


def test_demo_help_describes_the_demo() -> None:
    text = " ".join(_demo_help().split())
    assert "usage: playdash-gate demo" in text
    assert "against a simulated NeetoPlaydash on this machine: no account, no key, no network" in text
    assert "--scenario NAME|PATH" in text and "--summary-file PATH" in text and "--comment-file PATH" in text


@pytest.mark.parametrize(
    "flag",
    [
        *("--base-url", "--subdomain", "--project-id", "--run-id", "--run-url", "--ci-build-id", "--from-file"),
        *("--comment", "--pull-request", "--comment-key"),
    ],
)
def test_demo_help_lists_no_flag_the_demo_refuses_and_still_refuses_it_by_name(flag: str, run_cli) -> None:
    text = _demo_help()
    assert not re.search(rf"(^ +|\[){flag}(?![\w-])", text, re.MULTILINE), text
    result = run_cli("demo", flag, "x", env={})
    assert result.code == 2
    assert f"demo: {flag}: the demo talks only to its own simulator" in result.output


def test_validate_lists_a_key_given_twice_and_every_other_problem(tmp_path: Path) -> None:
    (tmp_path / "gate.yml").write_text(
        "thresholds:\n  failed: 5\n  failed: 0\n  flaky: -1\nstatus: {fail_on: [nope]}\n"
    )
    result = validate_config("gate.yml", cwd=tmp_path)
    assert result.code == 2
    for problem in ("key given twice: failed (line 3)", "thresholds.flaky: must be 0 or more", "status.fail_on[0]"):
        assert problem in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("timeout: 30m", "give it with --timeout, PLAYDASH_TIMEOUT, the action's `timeout` input"),
        ("poll-interval: 5s", "give it with --poll-interval, PLAYDASH_POLL_INTERVAL"),
        ("api_key: x", "give it with PLAYDASH_API_KEY, the action's `api-key` input"),
    ],
)
def test_a_setting_of_the_command_in_the_file_says_where_it_belongs(tmp_path: Path, key: str, where: str) -> None:
    (tmp_path / "gate.yml").write_text(f"{key}\n")
    result = validate_config("gate.yml", cwd=tmp_path)
    assert result.code == 2
    assert "it is a setting of the command, not of this file" in result.stderr and where in result.stderr


def test_the_timed_out_demo_names_its_timed_out_tests(run_cli, simulated, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run_cli("demo", "--scenario", "timed-out", env={"GITHUB_STEP_SUMMARY": str(summary)}, clock=simulated)
    assert result.code == 1, result.output
    named = [line for line in result.stdout.splitlines() if line.startswith("TIMEOUT ")]
    assert len(named) == 2, result.stdout
    text = summary.read_text(encoding="utf-8")
    assert "Timed-out tests (2)" in text
    assert all(line.split(" › ")[-1].strip() in text for line in named)
