"""`playdash-gate demo`, in-process: every example scenario with its exit code, scenario files of one's own,
and what the demo refuses (another server or run, a negative --seconds, a broken scenario)."""

from __future__ import annotations

import json
import os
import signal
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from gate.cli import demo
from gate.clock import Clock
from gate.simulator import Simulator
from gate.simulator.library import EXAMPLES, example_names
from tests.conftest import run_main

# Fast polling: the scenarios that run on for some polls take milliseconds, not seconds.
FAST = ("--poll-interval", "0.01s", "--max-poll-interval", "0.02s")
EXPECTED = {
    "baseline": (1, "✖ gate failed: 1 new failure (limit 0)"),
    "flaky": (0, "✔ gate passed: 49 tests, 0 failed, 3 flaky"),
    "flaky-history": (1, "✖ gate failed: 1 newly flaky test (limit 0)"),
    "history": (1, "✖ gate failed: 1 failed test (limit 0)"),
    "late-build": (0, "✔ gate passed: 41 tests"),
    "monorepo": (1, "✖ gate failed: 3 runs: 1 failed (Web shop), 2 passed   (exit 1)"),
    "quarantine": (0, "1 quarantined"),
    "still-running": (0, "✔ gate passed: 56 tests"),
    "timed-out": (1, "the run ended timed_out"),
}
REFUSED_FLAGS = [
    ("--base-url", "https://acme.neetoplaydash.com"),
    ("--subdomain", "acme"),
    ("--project-id", "pdqmxlz"),
    ("--run-id", "kftwnab"),
    ("--run-url", "https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab"),
    ("--ci-build-id", "gh-actions-1"),
    ("--from-file", "answer.json"),
]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Simulator]:
    """The simulators the demo starts, kept to see what they were asked."""
    seen: list[Simulator] = []

    class Recorded(Simulator):
        def start(self) -> Simulator:
            seen.append(self)
            return super().start()

    monkeypatch.setattr(demo, "Simulator", Recorded)
    return seen


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder every temporary file of this process goes to, empty before the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_every_example_scenario_is_tested() -> None:
    assert sorted(EXPECTED) == example_names()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_every_example_scenario_runs_with_its_exit_code(
    run_cli, temp_dir: Path, name: str, expected, simulated: Clock
) -> None:
    code, line = expected
    result = run_cli("demo", "--scenario", name, *FAST, clock=simulated)
    assert result.code == code, result.output
    assert line in result.stdout
    assert f"scenario {name}: " in result.stdout
    assert "Traceback" not in result.output
    assert result.verdict["verdict"] == ("pass" if code == 0 else "fail")
    assert list(temp_dir.iterdir()) == []


def test_the_run_still_going_is_polled_and_the_late_run_waited_for(run_cli) -> None:
    running = run_cli("demo", "--scenario", "still-running", *FAST)
    assert running.stdout.count("waiting: passing") >= 2
    late = run_cli("demo", "--scenario", "late-build", *FAST)
    assert "waiting: no run of build gh-actions-4821 yet" in late.stdout
    assert late.verdict["run_id"] == "latebld"


def test_the_list_names_every_example_with_its_line(run_cli) -> None:
    result = run_cli("demo", "--list")
    assert result.code == 0
    for name in example_names():
        description = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))["description"]
        assert any(line.split()[:1] == [name] and line.endswith(description) for line in result.stdout.splitlines())
    assert "scenario.schema.json" in result.stdout


def test_a_scenario_file_of_ones_own_runs_with_its_config_or_the_one_given(run_cli, tmp_path: Path) -> None:
    (tmp_path / "strict.yml").write_text("version: 1\nthresholds: {flaky: 0}\n")
    (tmp_path / "lenient.yml").write_text("version: 1\n")
    scenario = tmp_path / "mine.json"
    scenario.write_text(
        json.dumps(
            {
                "description": "two flaky tests",
                "runs": [{"run_id": "other"}, {"run_id": "mine", "counts": {"passed": 5, "flaky": 2}}],
                "demo": {"run_id": "mine", "config": "strict.yml"},
            }
        )
    )
    strict = run_cli("demo", "--scenario", str(scenario), *FAST)
    assert strict.code == 1, strict.output
    assert "scenario mine.json: two flaky tests" in strict.stdout
    assert strict.verdict["run_id"] == "mine"
    lenient = run_cli("demo", "--scenario", str(scenario), "--config", str(tmp_path / "lenient.yml"), *FAST)
    assert lenient.code == 0, lenient.output


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ({"runs": [{"finsh_after_polls": 3}]}, "runs[0].finsh_after_polls: unknown key; did you mean"),
        ({"runs": [{"specs": "8"}]}, "runs[0].specs: expected a whole number from 0 to 1000000, got a text '8'"),
        ({"runs": [{"counts": {"failed": 1.5}}]}, "runs[0].counts.failed: expected a whole number"),
        ({"runs": [{"tests": [{"spec": "a", "title": "b", "status": "ok"}]}]}, "runs[0].tests[0].status: expected"),
        ({"demo": {"run_id": "nope"}}, "demo.run_id: no run in runs has the run_id 'nope'"),
        ({"demo": {"ci_build_id": "nope"}}, "demo.ci_build_id: no run in runs has the ci_build_id 'nope'"),
        ({"demo": {"config": "missing.yml"}}, "demo.config: the thresholds file"),
        ({"runs": []}, "runs: the list is empty"),
        ("{not json", "is not JSON"),
        ("[" * 100_000, "is nested too deeply to read"),
    ],
    ids=lambda item: None if isinstance(item, str) and ":" in item else str(item)[:30],
)
def test_a_broken_scenario_file_exits_2_naming_the_file_and_the_key(run_cli, tmp_path: Path, content, named) -> None:
    scenario = tmp_path / "broken.json"
    scenario.write_text(content if isinstance(content, str) else json.dumps(content))
    result = run_cli("demo", "--scenario", str(scenario))
    assert result.code == 2, result.output
    assert str(scenario) in result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.output
    assert result.verdict["error_kind"] == "setup"


def test_an_unknown_scenario_name_exits_2_naming_the_names(run_cli) -> None:
    result = run_cli("demo", "--scenario", "flakey")
    assert result.code == 2
    assert (
        "--scenario flakey: no example scenario has that name, and no file has it either; did you mean `flaky`? "
        "The names are baseline, flaky,"
    ) in result.stderr


@pytest.mark.parametrize(("flag", "value"), REFUSED_FLAGS, ids=[flag for flag, _ in REFUSED_FLAGS])
@pytest.mark.parametrize("before", [False, True], ids=["after-demo", "before-demo"])
def test_a_flag_naming_another_server_or_run_is_refused(run_cli, started, flag: str, value: str, before: bool) -> None:
    args = [flag, value, "demo"] if before else ["demo", flag, value]
    result = run_cli(*args)
    assert result.code == 2, result.output
    assert f"demo: {flag}: the demo talks only to its own simulator" in result.stderr
    assert started == []


def test_variables_naming_another_server_run_or_key_are_ignored_and_the_key_never_sent(
    run_cli, started, tmp_path: Path
) -> None:
    env = {
        "PLAYDASH_BASE_URL": "https://acme.neetoplaydash.com",
        "PLAYDASH_RUN_ID": "zzzzzzz",
        "PLAYDASH_API_KEY": "pdk_live_real_key_123",
        "INPUT_RUN-URL": "https://acme.neetoplaydash.com/projects/a/runs/b",
        "PLAYDASH_JUNIT_FILE": str(tmp_path / "junit.xml"),
    }
    result = run_cli("demo", "--scenario", "flaky", *FAST, env=env)
    assert result.code == 0, result.output
    assert "demo: ignoring PLAYDASH_BASE_URL, PLAYDASH_RUN_ID, INPUT_RUN-URL, PLAYDASH_API_KEY" in result.stdout
    assert "pdk_live_real_key_123" not in result.output + result.summary
    assert all(request["key_ok"] for request in started[0].requests)
    assert result.verdict["run_id"] == "flkyrun"
    assert (tmp_path / "junit.xml").is_file()
    assert "JUnit XML in" in result.stdout


@pytest.mark.parametrize("seconds", ["-1", "-0.5", "nan", "inf", "601", "1e9", "four"])
def test_a_negative_or_absurd_seconds_is_refused(run_cli, started, seconds: str) -> None:
    result = run_cli("demo", f"--seconds={seconds}")
    assert result.code == 2, result.output
    assert "argument --seconds: must be a number of seconds from 0 to 600" in result.stderr
    assert started == []


def test_seconds_and_failing_do_not_go_with_a_scenario(run_cli) -> None:
    for extra in (["--seconds", "2"], ["--failing"]):
        result = run_cli("demo", "--scenario", "flaky", *extra)
        assert result.code == 2
        assert "--failing and --seconds shape the built-in demo run" in result.stderr


def test_the_run_reports_the_duration_the_demo_announces(run_cli) -> None:
    result = run_cli("demo", "--seconds", "0.2", *FAST)
    assert result.code == 0, result.output
    assert "a run finishing in 0.2 s" in result.stdout
    assert "finished: passed in 0.2 s" in result.stdout
    assert result.verdict["run"]["duration"] == 0.2


def test_without_a_destination_the_demo_writes_no_file_and_says_how_to_keep_them(
    tmp_path: Path, temp_dir: Path
) -> None:

    work = tmp_path / "work"
    work.mkdir()
    done = run_main(["demo", "--seconds", "0", *FAST], {"PATH": os.environ.get("PATH", "")}, cwd=work)
    assert done.code == 0, done.stdout + done.stderr
    assert "demo: to keep the reports, add --summary-file summary.md --json-file verdict.json" in done.stdout
    assert list(work.iterdir()) == []
    assert list(temp_dir.iterdir()) == []


def test_no_temporary_folder_is_left_after_an_error_or_a_ctrl_c(run_cli, started, temp_dir: Path, tmp_path) -> None:
    assert run_cli("demo", "--scenario", "nope").code == 2
    endless = tmp_path / "endless.json"
    endless.write_text(json.dumps({"runs": [{"finish_after_polls": 1_000_000}]}))

    def interrupt_after_the_first_poll() -> None:
        while not started or len(started[0].requests) < 2:
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_after_the_first_poll, daemon=True).start()
    result = run_cli("demo", "--scenario", str(endless), *FAST)
    assert result.code == 3, result.output
    assert "cancelled (SIGINT)" in result.stderr
    assert list(temp_dir.iterdir()) == []


def test_a_scenario_description_is_printed_inert(run_cli, tmp_path: Path) -> None:
    scenario = tmp_path / "hostile.json"
    scenario.write_text(json.dumps({"description": "::error::pwned\r::warning::again \x1b[31mred"}))
    result = run_cli("demo", "--scenario", str(scenario), *FAST)
    assert result.code == 0, result.output
    assert not [line for line in result.stdout.splitlines() if line.startswith("::") or "\x1b" in line]


def test_the_demo_never_goes_through_a_proxy(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would see the demo's key go by (and, on a CI with a proxy, fail it):
    # plain http reaches only loopback, so the gate never takes a proxy for it.
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(8)
        proxy.settimeout(0.05)
        address = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, address)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = run_cli("demo", "--seconds", "0")
        assert result.code == 0, result.output
        with pytest.raises(TimeoutError):
            proxy.accept()  # nothing ever connected to it
