"""`--comment-file`: the pull request comment's exact text, written with or without `--comment`, on every exit path."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.cli.comment import CommentClock
from gate.clock import Clock
from gate.simulator import SimRun
from tests.acceptance.github_fake import REPO, TOKEN, FakeGitHub
from tests.conftest import API_KEY, gate_env

FAILING = SimRun(counts={"passed": 10, "failed": 2})
WRITTEN = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
CLOCK = CommentClock(budget=1.0, first_wait=0.01)
# The gate's wall clock: the time the comment says it was written.
WALL = Clock(now=lambda: WRITTEN)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def _github_env(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7}}))
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_WORKFLOW": "e2e",
        "GITHUB_JOB": "gate",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4821",
    }


def test_the_file_is_the_very_comment_github_receives(simulator, run_cli, github: FakeGitHub, tmp_path) -> None:
    env = {**gate_env(simulator(FAILING)), **_github_env(github, tmp_path), "PLAYDASH_COMMENT": "always"}
    result = run_cli("--comment-file", "out/comment.md", env=env, comment_clock=CLOCK, clock=WALL)
    assert result.code == 1, result.output
    [body] = github.bodies(7)
    assert (tmp_path / "out" / "comment.md").read_text(encoding="utf-8") == body
    assert body.startswith("<!-- playdash-gate: e2e / gate / pdqmxlz -->\n")


def test_without_comment_the_file_is_written_with_no_token_nor_pull_request(simulator, run_cli, tmp_path) -> None:
    """A local preview: nothing is posted anywhere, the file holds the marker, the summary and the footer."""
    result = run_cli("--comment-file", "comment.md", env=gate_env(simulator(FAILING)), comment_clock=CLOCK, clock=WALL)
    assert result.code == 1, result.output
    text = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- playdash-gate: - / - / pdqmxlz -->\n\n")
    assert "## ❌ Playwright gate failed — 2 failed tests" in text
    assert text.endswith(
        "<sub>Written 2031-05-06 07:08:09 UTC by the workflow run; updated in place on every run.</sub>\n"
    )
    assert "comment" not in result.output.lower()  # no note of a comment not written: none was asked for


def test_the_variable_and_the_action_input_name_it_too(simulator, run_cli, tmp_path) -> None:
    sim = simulator(FAILING)
    run_cli(env=gate_env(sim, PLAYDASH_COMMENT_FILE="by-variable.md"))
    run_cli(env=gate_env(sim, GITHUB_ACTIONS="true", **{"INPUT_COMMENT-FILE": "by-input.md"}))
    for name in ("by-variable.md", "by-input.md"):
        assert "Playwright gate failed" in (tmp_path / name).read_text(encoding="utf-8")


def test_a_set_up_error_writes_the_comment_that_says_so(run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text("thresholds: {faild: 0}\n")
    env = {"PLAYDASH_API_KEY": API_KEY, "PLAYDASH_BASE_URL": "http://127.0.0.1:9", "PLAYDASH_RUN_ID": "kftwnab"}
    env["PLAYDASH_PROJECT_ID"] = "pdqmxlz"
    result = run_cli("--config", "gate.yml", "--comment-file", "comment.md", env=env)
    assert result.code == 2
    text = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- playdash-gate: ")
    assert "faild" in text


def test_the_key_and_the_token_are_redacted_from_the_file(simulator, run_cli, tmp_path) -> None:
    """A test title that quotes the API key or the GitHub token reaches the file redacted, as in every sink."""
    token = "ghp_" + "T0k3n" * 8
    run = SimRun(
        counts={"passed": 1, "failed": 2},
        tests=[
            {"spec": "a.spec.ts", "title": f"leaks {API_KEY}", "status": "failed"},
            {"spec": "a.spec.ts", "title": f"leaks {token}", "status": "failed"},
        ],
    )
    env = gate_env(simulator(run), GITHUB_TOKEN=token, PLAYDASH_COMMENT="on-failure")
    result = run_cli("--comment-file", "comment.md", env=env)
    assert result.code == 1, result.output
    text = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert "leaks" in text
    assert API_KEY not in text
    assert token not in text


def test_a_comment_file_that_cannot_be_written_is_a_warning_and_the_verdict_stands(
    simulator, run_cli, tmp_path
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "comment.md").mkdir()
    result = run_cli("--comment-file", "taken/comment.md", env=gate_env(simulator(FAILING)))
    assert result.code == 1
    assert "warning: could not write the comment file to taken/comment.md" in result.stderr


def test_the_demo_writes_it_too(run_cli, tmp_path) -> None:
    result = run_cli("demo", "--seconds", "0", "--comment-file", "comment.md", env={}, comment_clock=CLOCK, clock=WALL)
    assert result.code == 0, result.output
    assert "## ✅ Playwright gate passed" in (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert "comment file in comment.md" in result.stdout


def test_the_clock_main_is_given_is_the_file_s_time_without_comment(simulator, run_cli, tmp_path) -> None:
    later = Clock(now=lambda: WRITTEN + datetime.timedelta(days=1))
    run_cli("--comment-file", "comment.md", env=gate_env(simulator(FAILING)), comment_clock=CLOCK, clock=later)
    assert "Written 2031-05-07 07:08:09 UTC" in (tmp_path / "comment.md").read_text(encoding="utf-8")
