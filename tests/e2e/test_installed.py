"""End to end: the installed `playdash-gate` in a subprocess, as a CI runs it: smoke runs, a saved answer on
standard input, signals, and the stream guard on real pipes. Everything else runs `main()` in-process
(tests/acceptance)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from gate.simulator import SimRun
from tests.acceptance.github_fake import REPO, TOKEN, FakeGitHub
from tests.acceptance.test_action import parse_github_output, runner_env
from tests.acceptance.test_stream_guard import HOSTILE_TESTS, OWN_NAMES
from tests.actions_runner import commands
from tests.conftest import API_KEY, cli_command, gate_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "get-run-example.json"
# Generous: a cancelled gate ends at once; this only keeps a broken one from hanging the suite.
ENDS_WITHIN = 30


def test_the_installed_command_and_python_dash_m_say_their_version() -> None:
    for command in (cli_command(), [sys.executable, "-m", "gate"]):
        completed = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
        assert completed.returncode == 0
        assert completed.stdout.startswith("playdash-gate ")


def test_the_demo_runs_on_a_fresh_install(run_installed) -> None:
    result = run_installed("demo", "--seconds", "1")
    assert result.code == 0, result.output
    assert "✔ gate passed" in result.stdout
    assert "step summary (Markdown) in" in result.stdout


def test_a_passing_and_a_failing_run_exit_0_and_1(simulator, run_installed) -> None:
    passing = run_installed(env=gate_env(simulator(SimRun())))
    failing = run_installed(env=gate_env(simulator(SimRun(counts={"passed": 3, "failed": 2}))))
    assert (passing.code, failing.code) == (0, 1), passing.output + failing.output
    assert failing.verdict["verdict"] == "fail"


def test_a_set_up_error_exits_2_and_validate_reads_the_example_config(simulator, run_installed) -> None:
    wrong_key = run_installed(env={**gate_env(simulator(SimRun())), "PLAYDASH_API_KEY": "not-the-key"})
    assert wrong_key.code == 2
    assert "HTTP 401" in wrong_key.stderr
    valid = run_installed("validate", str(ROOT / "examples" / ".playdash-gate.yml"), env={})
    assert valid.code == 0, valid.output


def test_as_a_github_action_step(simulator, tmp_path: Path) -> None:
    """The container's entry point with the runner's variables: outputs, summary, masked key."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**runner_env(simulator(SimRun(counts={"passed": 5, "failed": 1})), workspace), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(cli_command(), env=env, cwd=workspace, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == f"::add-mask::{API_KEY}"
    outputs = parse_github_output(Path(env["GITHUB_OUTPUT"]).read_text())
    assert (outputs["verdict"], outputs["failed"]) == ("fail", "1")
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith("## ❌ Playwright gate failed")


def test_from_file_reads_pages_from_standard_input(tmp_path: Path) -> None:
    page = json.loads(EXAMPLE.read_text())
    page["specs"] = [
        {
            "spec_id": "s1",
            "file_name": "cart.spec.ts",
            "tests": [{"test_id": "t", "title": "adds", "status": "failed", "duration": 1}],
        }
    ]
    second = dict(
        page,
        specs=[
            {
                "spec_id": "s2",
                "file_name": "pay.spec.ts",
                "tests": [{"test_id": "u", "title": "pays", "status": "failed", "duration": 1}],
            }
        ],
        pagination=dict(page["pagination"], current_page_number=2),
    )
    config = tmp_path / "gate.yml"
    config.write_text("thresholds: {failed: 2}\n")
    done = subprocess.run(
        [*cli_command(), "--from-file", "-", "--config", str(config), "--json-file", str(tmp_path / "v.json")],
        input=json.dumps([page, second]),
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert [t["title"] for t in verdict["failed_tests"]] == ["adds", "pays"]


def test_standard_input_that_never_ends_or_is_endless_ends_within_the_timeout(tmp_path: Path) -> None:
    """The installed command on a pipe whose writer never writes, and on /dev/zero: no verdict, said, in time."""
    verdict = tmp_path / "v.json"
    command = [*cli_command(), "--from-file", "-", "--json-file", str(verdict)]
    with subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE) as writer:  # holds the pipe open, silent
        stalled = subprocess.run(
            [*command, "--timeout", "1s"],
            stdin=writer.stdout,
            capture_output=True,
            text=True,
            timeout=ENDS_WITHIN,
            check=False,
        )
        writer.kill()
    # Endless bytes reach the limit long before the timeout, however loaded the machine: the limit ends it.
    with open("/dev/zero", "rb") as zero:
        endless = subprocess.run(
            [*command, "--timeout", "60s"], stdin=zero, capture_output=True, text=True, timeout=ENDS_WITHIN, check=False
        )
    assert stalled.returncode == 3 and "nothing more came from standard input within --timeout" in stalled.stderr
    assert endless.returncode == 3 and "standard input is larger than 16 MiB" in endless.stderr
    for done in (stalled, endless):
        assert "Traceback" not in done.stdout + done.stderr
    assert json.loads(verdict.read_text())["verdict"] == "error"


def cancelled_while_waiting(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM once the gate says it is waiting for the run; what it printed (stdout, stderr) by its end."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("waiting: "):
            break
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=ENDS_WITHIN)
    return stdout, stderr or ""


def test_sigterm_cancels_and_reports_what_was_last_seen(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun(counts={"passed": 38, "failed": 2}, finish_after_polls=10**9))
    summary = tmp_path / "summary.md"
    env = {**gate_env(sim), "GITHUB_STEP_SUMMARY": str(summary), "PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen([*cli_command()], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = cancelled_while_waiting(process)
    assert process.returncode == 3
    assert "cancelled (SIGTERM)" in stderr
    text = summary.read_text()
    assert text.startswith("## ⚠️ Playwright gate gave no verdict — cancelled\n")
    assert "\nthe gate was cancelled \\(SIGTERM\\) before it reached a verdict\n" in text
    assert "Last seen: running · no tests counted yet" in text
    assert API_KEY not in stdout + stderr + text


def test_sigterm_in_actions_writes_a_cancelled_summary_and_outputs(simulator, tmp_path: Path) -> None:
    sim = simulator(SimRun(finish_after_polls=10**9))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**runner_env(sim, workspace), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(cli_command(), env=env, cwd=workspace, stdout=subprocess.PIPE, text=True)
    stdout, _ = cancelled_while_waiting(process)
    assert process.returncode == 3
    assert "::endgroup::" in stdout
    outputs = parse_github_output(Path(env["GITHUB_OUTPUT"]).read_text())
    assert outputs["verdict"] == "error" and outputs["status"] == "running"
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "the gate was cancelled \\(SIGTERM\\)" in summary
    verdict = (workspace / "playdash-gate-verdict.json").read_text()
    for text in (
        stdout.replace(f"::add-mask::{API_KEY}", ""),
        summary,
        verdict,
        Path(env["GITHUB_OUTPUT"]).read_text(),
    ):
        assert API_KEY not in text


def test_the_installed_command_comments_before_it_ends(simulator, run_installed, tmp_path: Path) -> None:
    """The comment's thread is joined before the process ends: the comment is there, and so is its address."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3}}))
    with FakeGitHub() as github:
        env = gate_env(
            simulator(SimRun(counts={"passed": 3, "failed": 2})),
            PLAYDASH_COMMENT="always",
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=REPO,
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_TOKEN=TOKEN,
        )
        result = run_installed(env=env)
    assert result.code == 1, result.output
    [body] = github.bodies(3)
    assert "Playwright gate failed" in body
    assert result.verdict["comment_url"] == github.comments[(REPO, 3)][0]["html_url"]
    assert TOKEN not in result.output


def test_a_report_sent_to_the_commands_own_output_redirected_to_a_file_cuts_nothing(simulator, tmp_path: Path) -> None:
    # `--json-file /dev/stdout >> log.txt`: opening the log again would cut what the console wrote there.
    sim = simulator(SimRun())
    log = tmp_path / "log.txt"
    log.write_text("an earlier line\n")
    with log.open("a") as stdout:
        done = subprocess.run(
            [*cli_command(), "--json-file", "/dev/stdout"],
            env={"PATH": os.environ.get("PATH", ""), **gate_env(sim)},
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("an earlier line\n") and "gate passed" in text
    assert "it is this process's own output, redirected to a file" in done.stderr


def test_on_real_pipes_no_line_is_a_command_but_the_gates_own(simulator, tmp_path: Path) -> None:
    # Reports written to the command's own stdout and stderr under four names, hostile titles in each.
    sim = simulator(SimRun(tests=HOSTILE_TESTS, final_status="failed"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        **gate_env(sim),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_STEP_SUMMARY": "/proc/self/fd/2",
    }
    reports = ["--junit-file", "/dev/stdout", "--json-file", "/dev/stderr", "--markdown-file", "/dev/fd/1"]
    done = subprocess.run(
        [*cli_command(), *reports], env=env, cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    own = []
    for stream in (done.stdout, done.stderr):
        assert b"PWN" in stream
        for line, command in commands(stream):
            assert line.startswith("::") and command.name in OWN_NAMES and not command.legacy, line
            assert not command.rest.startswith("PWN"), line
            own.append(command)
    assert ("add-mask", API_KEY) in [(command.name, command.rest) for command in own]
    assert any(command.name == "group" for command in own)
    assert any(command.name == "error" and command.rest.startswith("Failed: pays") for command in own)


def test_a_traceback_past_the_error_boundary_passes_the_guard_too() -> None:
    script = (
        "import gate.cli\n"
        "def broken():\n"
        "    raise RuntimeError('x\\n::error::PWN\\n  ::stop-commands::PWN\\n##[set-output name=v]PWN')\n"
        "gate.cli.main = broken\n"
        "gate.cli.console_main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert done.returncode == 3
    assert b"RuntimeError: x" in done.stderr and b"PWN" in done.stderr
    assert not commands(done.stderr) and not commands(done.stdout)
