"""End to end: the installed CLI in a subprocess against the simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.clock import Clock
from gate.simulator import SimRun
from tests.conftest import API_KEY, FakeClock, gate_env

FAILED_RUN = {"passed": 30, "failed": 3, "flaky": 2}


def assert_no_key(result) -> None:
    for text in (
        result.stdout,
        result.stderr,
        result.summary,
        result.json_path.read_text() if result.json_path.exists() else "",
    ):
        assert API_KEY not in text


def test_a_progressing_run_that_passes(simulator, run_cli) -> None:
    sim = simulator(SimRun(counts={"passed": 40, "flaky": 1}, finish_after_polls=3))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert result.stdout.count("waiting: ") == 3
    assert "finished: passed" in result.stdout
    assert "✔ gate passed: 41 tests, 0 failed, 1 flaky   (exit 0)" in result.stdout
    assert result.summary.startswith("## ✅ Playwright gate passed")
    assert result.verdict["verdict"] == "pass"
    assert result.verdict["statistics"] == {"passed": 40, "flaky": 1}
    assert result.verdict["flaky_tests"][0]["title"] == "flaky test 1"
    assert all(request["key_ok"] and request["accept"] == "application/json" for request in sim.requests)
    assert_no_key(result)


def test_a_run_that_fails_the_thresholds(simulator, run_cli) -> None:
    sim = simulator(SimRun(counts=FAILED_RUN, finish_after_polls=1))
    result = run_cli(env=gate_env(sim))
    assert result.code == 1, result.output
    assert "✖ gate failed: 3 failed tests (limit 0)   (exit 1)" in result.stdout
    assert "FAILED  spec-0000.spec.ts › failed test 1" in result.stdout
    assert "### Failed tests (3)" in result.summary
    assert [t["title"] for t in result.verdict["failed_tests"]] == ["failed test 1", "failed test 2", "failed test 3"]
    # Every listing counts: the failed and the flaky tests are asked for by status, whatever the first page said.
    assert sorted(r["query"].get("status") or "" for r in sim.requests) == ["", "", "failed", "flaky"]
    assert_no_key(result)


def test_a_config_file_in_the_working_directory_is_used(simulator, run_cli, tmp_path: Path) -> None:
    (tmp_path / ".playdash-gate.yml").write_text("thresholds:\n  failed: 3\n  flaky: 1\n")
    sim = simulator(SimRun(counts=FAILED_RUN))
    result = run_cli(env=gate_env(sim))
    assert result.code == 1
    assert "2 flaky tests (limit 1)" in result.stdout
    assert result.verdict["config"] == ".playdash-gate.yml"


def test_every_failed_test_is_listed_across_pages(simulator, run_cli, tmp_path: Path) -> None:
    sim = simulator(SimRun(counts={"passed": 10, "failed": 250}, specs=250))
    (tmp_path / "gate.yml").write_text("thresholds: {failed: 250}\n")
    result = run_cli("--config", "gate.yml", env=gate_env(sim))
    assert result.code == 0, result.output
    assert len(result.verdict["failed_tests"]) == 250
    pages = sorted(int(r["query"]["page"]) for r in sim.requests if r["query"].get("status") == "failed")
    assert pages == [1, 2, 3]
    assert all(r["query"].get("page_size") == "100" for r in sim.requests if "status" in r["query"])


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": "0"},
        {"status": 429},
        {"status": 500},
        {"status": 502},
        {"status": 503, "retry_after": "1"},
        {"status": 504},
        {"reset": True},
        {"html": True},
        {"truncate": True},
        {"delay": 0.3},
    ],
    ids=lambda fault: "-".join(f"{k}={v}" for k, v in fault.items()),
)
def test_transient_faults_are_retried_to_a_verdict(simulator, run_cli, fault: dict, simulated: Clock) -> None:
    sim = simulator(SimRun(counts=FAILED_RUN, finish_after_polls=1), faults=[fault, fault])
    result = run_cli(env=gate_env(sim), clock=simulated)  # a Retry-After waited in simulated time
    assert result.code == 1, result.output
    assert result.verdict["verdict"] == "fail"
    retried = 0 if "delay" in fault else 2
    assert len(sim.requests) == 4 + retried  # two polls, the failed and the flaky tests, and the retries


def test_retried_faults_are_logged_with_debug(simulator, run_cli) -> None:
    sim = simulator(SimRun(), faults=[{"status": 503}])
    result = run_cli("--debug", env=gate_env(sim))
    assert result.code == 0
    assert "transient fault (HTTP 503 Service Unavailable); retrying in" in result.stderr
    assert_no_key(result)


def test_trouble_with_the_api_is_shown_without_debug(simulator, run_cli) -> None:
    """An outage is never a silent console: one line for the burst, saying what the API answered, when the
    next try is and how much time is left (every retry stays a debug line)."""
    sim = simulator(SimRun(), faults=[{"status": 503}] * 3)
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="10m", GITHUB_ACTIONS="true"))
    assert result.code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("API trouble:")]
    assert len(lines) == 1, result.stdout  # the three retries come within seconds: one line
    assert lines[0].startswith("API trouble: HTTP 503 Service Unavailable · 1 attempt so far · next try in ")
    assert re.search(r"· (9m 5\ds|10m 00s) left before the timeout$", lines[0]), lines[0]
    # On GitHub, inside the folded group of the polls.
    stdout = result.stdout
    assert stdout.index("::group::Waiting for run") < stdout.index(lines[0]) < stdout.index("::endgroup::")
    assert "transient fault" not in result.output  # the per-request details stay under --debug
    assert API_KEY not in result.output.replace(f"::add-mask::{API_KEY}", "")


@pytest.mark.parametrize(
    ("env_change", "args", "message"),
    [
        ({"PLAYDASH_API_KEY": ""}, (), "no API key given: set PLAYDASH_API_KEY"),
        ({"PLAYDASH_API_KEY": "wrong-key"}, (), "HTTP 401: the API key was refused"),
        ({"PLAYDASH_RUN_ID": "nosuchrun"}, (), "HTTP 404: the project or run was not found"),
        ({"PLAYDASH_PROJECT_ID": "nosuchproject"}, (), "HTTP 404: the project or run was not found"),
        ({"PLAYDASH_BASE_URL": "http://example.com"}, (), "PLAYDASH_BASE_URL must use https://"),
        ({"PLAYDASH_TIMEOUT": "soon"}, (), "PLAYDASH_TIMEOUT must be a duration"),
        ({}, ("--timeout", "-1"), "--timeout must be a duration"),
        ({}, ("--config", "missing.yml"), "the config file missing.yml does not exist"),
        ({}, ("--bogus",), "unrecognized arguments: --bogus"),
        ({"PLAYDASH_RUN_ID": ""}, (), "no run named: set --run-id / PLAYDASH_RUN_ID"),
    ],
)
def test_set_up_errors_exit_2_with_what_to_fix(simulator, run_cli, env_change, args, message) -> None:
    sim = simulator(SimRun())
    result = run_cli(*args, env={**gate_env(sim), **env_change})
    assert result.code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.summary.startswith("## ⚠️ Playwright gate could not run")
    assert result.verdict["verdict"] == "error" and result.verdict["exit_code"] == 2
    assert_no_key(result)


def test_a_bad_config_lists_every_problem(simulator, run_cli, tmp_path: Path) -> None:
    (tmp_path / ".playdash-gate.yml").write_text("thresholds:\n  faild: 0\n  flaky: -1\nstatus: {fail_on: [nope]}\n")
    result = run_cli(env=gate_env(simulator(SimRun())))
    assert result.code == 2
    for problem in (
        "thresholds.faild: unknown key; did you mean `failed`?",
        "thresholds.flaky: must be 0 or more",
        "status.fail_on[0]: must be one of",
    ):
        assert problem in result.stderr
        assert problem.split(":")[0].replace("_", "\\_").replace("[", "\\[").replace("]", "\\]") in result.summary
    assert len(result.verdict["message"].splitlines()) == 4


def test_still_running_at_the_timeout_exits_3(simulator, run_cli, simulated: Clock) -> None:
    sim = simulator(SimRun(counts=FAILED_RUN, finish_after_polls=10**9))
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1.5s"), clock=simulated)
    assert result.code == 3, result.output
    assert "still running when the deadline came" in result.stderr
    assert result.summary.startswith("## ⚠️ Playwright gate gave no verdict — the run was still running")
    assert result.verdict["error_kind"] == "timeout"
    assert result.verdict["status"] in ("running", "failing", "passing")


def test_the_clock_given_to_main_is_the_deadlines(simulator, run_cli, simulated: Clock, clock: FakeClock) -> None:
    """A run that never finishes, with --timeout 30s: no verdict once 30 simulated seconds have passed."""
    sim = simulator(SimRun(finish_after_polls=10**9))
    result = run_cli(
        env=gate_env(sim, PLAYDASH_TIMEOUT="30s", PLAYDASH_POLL_INTERVAL="5s", PLAYDASH_MAX_POLL_INTERVAL="5s"),
        clock=simulated,
    )
    assert result.code == 3, result.output
    assert "still running when the deadline came" in result.stderr
    # The waits were the clock's (polls 5 s apart), up to the deadline and never past it.
    assert clock.sleeps and 25 <= clock.now - 1000 <= 30


def test_an_api_that_stays_down_exits_3(simulator, run_cli, simulated: Clock) -> None:
    sim = simulator(SimRun(), fault_rate=1.0, random_faults=[{"status": 503}])
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1.5s"), clock=simulated)
    assert result.code == 3
    assert "stayed unavailable until the deadline" in result.stderr
    assert result.verdict["error_kind"] == "unavailable"


def test_no_server_at_all_exits_3(run_cli, simulated: Clock) -> None:
    env = {
        "PLAYDASH_API_KEY": API_KEY,
        "PLAYDASH_BASE_URL": "http://127.0.0.1:9",
        "PLAYDASH_PROJECT_ID": "p",
        "PLAYDASH_RUN_ID": "r",
        "PLAYDASH_TIMEOUT": "1s",
        "PLAYDASH_POLL_INTERVAL": "0.05s",
    }
    result = run_cli(env=env, clock=simulated)
    assert result.code == 3
    assert "connection failed (Connection refused)" in result.stderr


def test_a_server_stalling_mid_answer_cannot_hold_the_gate_past_its_deadline(simulator, run_cli) -> None:
    sim = simulator(SimRun(), faults=[{"stall": 30}] * 5)
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1s"))
    assert result.code == 3, result.output


def test_a_redirect_off_the_origin_is_not_followed(simulator, run_cli) -> None:
    other = simulator(SimRun())
    sim = simulator(SimRun(), faults=[{"redirect": other.base_url + "/api/external/v1/projects/pdqmxlz/runs/kftwnab"}])
    result = run_cli(env=gate_env(sim))
    assert result.code == 2
    assert "sends the key to the API's own origin only" in result.stderr
    assert other.requests == []


@pytest.mark.parametrize(
    ("run", "code", "message"),
    [
        (SimRun(drop_fields=["is_running"]), 3, "it has no `is_running` field"),
        (SimRun(drop_fields=["run_statistics"]), 3, "it has no `run_statistics` field"),
        (SimRun(final_patch={"is_running": "false"}), 3, "`is_running` is 'false'"),
        (SimRun(final_patch={"run_statistics": [{"name": "Failed", "value": -2}]}), 3, "is -2"),
        (SimRun(final_patch={"run_statistics": [{"name": "Passed", "value": 1.5}]}), 3, "is 1.5"),
        (SimRun(final_status="running"), 3, "its status is still `running`"),
        (SimRun(final_status="failing"), 3, "its status is still `failing`"),
        (SimRun(final_status="exploded"), 1, "never passes an unknown state"),
        (SimRun(counts={"passed": 5, "skipped": 1}, final_status="failed"), 1, "no failed test was counted"),
        (SimRun(final_status="timedOut"), 1, "the run ended timed_out"),
        (SimRun(final_status="interrupted"), 1, "the run ended interrupted"),
        (SimRun(counts={}), 1, "only 0 tests run (at least 1 required)"),
        (
            SimRun(counts={"failed": 2, "passed": 1}, final_patch={"pagination": {"total_pages": 10**7}}),
            3,
            "more than the gate reads",
        ),
        (
            SimRun(
                counts={"failed": 2, "passed": 1},
                final_patch={"pagination": {"total_pages": 3}},
                repeat_first_page=True,
            ),
            3,
            "repeats specs of an earlier page",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_fail_closed(simulator, run_cli, run: SimRun, code: int, message: str) -> None:
    result = run_cli(env=gate_env(simulator(run)))
    assert result.code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.verdict["verdict"] == ("fail" if code == 1 else "error")


def test_the_demo_runs(run_cli, simulated: Clock) -> None:
    result = run_cli("demo", "--seconds", "1", clock=simulated)
    assert result.code == 0, result.output
    assert "✔ gate passed" in result.stdout
    assert "step summary (Markdown) in" in result.stdout


def test_the_failing_demo_fails(run_cli, simulated: Clock) -> None:
    result = run_cli("demo", "--failing", "--seconds", "0.5", clock=simulated)
    assert result.code == 1
    assert "FAILED  " in result.stdout


def test_sigterm_in_process_cancels_and_reports_what_was_last_seen(simulator, run_cli) -> None:
    """The signal arrives once the gate has polled (an event, not a timer); the gate reports and ends."""
    import os
    import signal
    import threading

    sim = simulator(SimRun(counts=FAILED_RUN, finish_after_polls=10**9))

    def cancel_after_the_first_poll() -> None:
        while len(sim.requests) < 2:
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=cancel_after_the_first_poll, daemon=True).start()
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="60s"))
    assert result.code == 3
    assert "cancelled (SIGTERM)" in result.stderr
    assert result.verdict["error_kind"] == "cancelled"
    assert result.summary.startswith("## ⚠️ Playwright gate gave no verdict — cancelled\n")
    assert "\nthe gate was cancelled \\(SIGTERM\\) before it reached a verdict\n" in result.summary
    assert "Last seen: running" in result.summary


@pytest.mark.parametrize(("flags", "bound"), [((), 4), (("--max-in-flight", "1"), 1), (("--max-in-flight", "6"), 6)])
def test_the_pages_in_flight_never_pass_the_bound(simulator, run_cli, flags: tuple[str, ...], bound: int) -> None:
    """Eight pages of failed tests, 50 ms per answer: the simulator counts the requests it holds at once (how
    many overlap on a busy machine varies; never more than the bound, and more than one when it allows)."""
    sim = simulator(SimRun(counts={"passed": 10, "failed": 800}, specs=800), latency=0.05)
    result = run_cli(*flags, env=gate_env(sim))
    assert result.code == 1, result.output
    assert len(result.verdict["failed_tests"]) == 800
    assert sim.state.most_waiting <= bound
    assert sim.state.most_waiting > 1 or bound == 1
