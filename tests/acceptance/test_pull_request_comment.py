"""The pull request comment: main() in-process against the simulator and a fake GitHub API, both over real HTTP."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate.bounded import Limit
from gate.cli.comment import CommentClock
from gate.clock import REAL, Clock
from gate.comment.body import MAX_COMMENT_CHARS, SHORT_SUMMARY_BYTES
from gate.simulator import SimRun
from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate, spec
from tests.acceptance.github_fake import REPO, TOKEN, Answer, FakeGitHub, Seen
from tests.conftest import API_KEY, CliResult, gate_env, run_main

FAILING = SimRun(counts={"passed": 10, "failed": 2})
PASSING = SimRun(counts={"passed": 12})
WARNING_TITLE = "::warning title=Pull request comment not written::"
# Retries wait milliseconds, and the comment's budget is short: no test sleeps for real.
QUICK = CommentClock(budget=1.0, first_wait=0.01)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def commenting(
    run_cli: Callable[..., CliResult], simulator: Callable[..., object], github: FakeGitHub, tmp_path: Path
) -> Callable[..., CliResult]:
    """Run the gate as a GitHub step on pull request #7 with `--comment always` (unless told otherwise)."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": 7, "pull_request": {"number": 7}}))

    def run(
        run: SimRun = FAILING, *args: str, comment_clock: CommentClock = QUICK, clock: Clock = REAL, **extra: str
    ) -> CliResult:
        sim = simulator(run)
        outputs = tmp_path / f"outputs-{len(github.requests)}-{id(sim)}"
        outputs.write_text("")
        env = gate_env(
            sim,  # type: ignore[arg-type]
            GITHUB_ACTIONS="true",
            GITHUB_OUTPUT=str(outputs),
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=REPO,
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_TOKEN=TOKEN,
            GITHUB_WORKFLOW="e2e",
            GITHUB_JOB="gate",
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_RUN_ID="4821",
            PLAYDASH_COMMENT="always",
        )
        env.update(extra)
        env = {key: value for key, value in env.items() if value != "<unset>"}
        result = run_cli(*args, env=env, comment_clock=comment_clock, clock=clock)
        result.outputs = outputs.read_text()  # type: ignore[attr-defined]
        return result

    return run


def unmasked(result: CliResult) -> str:
    """Everything the gate printed but the `::add-mask::` lines, which must name the secrets to hide them."""
    return "\n".join(line for line in result.output.splitlines() if not line.startswith("::add-mask::"))


def warnings(result: CliResult) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(WARNING_TITLE)]


def test_the_first_run_writes_one_comment_with_the_verdict_and_its_address(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING)
    assert result.code == 1
    [post] = github.writes()
    assert (post.method, post.path) == ("POST", f"/repos/{REPO}/issues/7/comments")
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.headers["Accept"] == "application/vnd.github+json"
    assert post.headers["X-GitHub-Api-Version"] == "2022-11-28"
    [body] = github.bodies(7)
    assert body.startswith("<!-- playdash-gate: e2e / gate / pdqmxlz -->\n")
    assert "## ❌ Playwright gate failed — 2 failed tests" in body
    assert "[workflow run](https://github.com/acme/shop/actions/runs/4821)" in body
    url = github.comments[(REPO, 7)][0]["html_url"]
    assert result.verdict["comment_url"] == url
    assert "comment-url<<" in result.outputs and url in result.outputs  # type: ignore[attr-defined]
    assert f"comment: created on pull request #7: {url}" in result.stdout


def test_the_comment_says_when_it_was_written_by_the_clock_main_is_given(commenting, github: FakeGitHub) -> None:
    """main(clock=...) is the comment's time: its footer reads that clock, not the machine's."""
    written = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    commenting(FAILING, clock=Clock(now=lambda: written))
    [body] = github.bodies(7)
    assert (
        "Written 2031-05-06 07:08:09 UTC by the [workflow run](https://github.com/acme/shop/actions/runs/4821)" in body
    )


@pytest.mark.parametrize(
    ("server", "address"),
    [
        ("https://github.com", "https://evil.example/acme/shop/pull/7#issuecomment-1001"),
        ("https://ghe.example.com", "https://github.com/acme/shop/pull/7#issuecomment-1001"),
    ],
)
def test_a_comment_address_off_the_github_server_is_not_passed_on(
    commenting, github: FakeGitHub, server: str, address: str
) -> None:
    def elsewhere(seen: Seen) -> Answer | None:
        if seen.method != "POST":
            return None
        comment = github.add(7, seen.body["body"])
        return Answer(201, {**comment, "html_url": address})

    github.script = elsewhere
    result = commenting(FAILING, GITHUB_SERVER_URL=server)
    assert result.code == 1 and warnings(result) == [] and len(github.bodies(7)) == 1
    assert result.verdict["comment_url"] is None and address not in result.output
    assert "GitHub gave no usable address for it" in result.stdout


HOSTILE_ADDRESSES = [
    "javascript:alert('PWNED')",
    "JAVASCRIPT:alert('PWNED')",
    " javascript:alert('PWNED')",
    "java\tscript:alert('PWNED')",
    "data:text/html,PWNED",
    "//github.com/PWNED",
    "https://github.com/x) [y](javascript:alert('PWNED'))",
    "https://github.com@evil.example/PWNED",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_a_comment_address_that_is_not_http_is_no_link_and_shown_nowhere(
    commenting, github: FakeGitHub, address: str
) -> None:
    def hostile_answer(seen: Seen) -> Answer | None:
        if seen.method != "POST":
            return None
        return Answer(201, {**github.add(7, seen.body["body"]), "html_url": address})

    github.script = hostile_answer
    result = commenting(FAILING)
    assert result.code == 1 and len(github.bodies(7)) == 1
    assert result.verdict["comment_url"] is None
    assert "PWNED" not in result.output + result.outputs + result.summary  # type: ignore[attr-defined]


@pytest.mark.parametrize("server", HOSTILE_ADDRESSES)
def test_a_github_server_url_that_is_not_http_gives_the_comment_no_link(
    commenting, github: FakeGitHub, server: str
) -> None:
    result = commenting(FAILING, GITHUB_SERVER_URL=server)
    assert result.code == 1
    [body] = github.bodies(7)
    assert "PWNED" not in body and "PWNED" not in result.summary
    assert "by the workflow run (e2e · gate)" in body  # the words, plain
    targets = re.findall(r"\]\(([^)]*)\)", body)
    assert all(target.startswith(("http://", "https://")) for target in targets), targets


def test_a_second_run_updates_the_comment_in_place(commenting, github: FakeGitHub) -> None:
    assert commenting(FAILING).code == 1
    assert commenting(PASSING).code == 0
    [body] = github.bodies(7)
    assert "Playwright gate passed" in body
    assert [(seen.method, seen.path) for seen in github.writes()][1] == (
        "PATCH",
        "/repos/acme/shop/issues/comments/1001",
    )


def test_on_failure_with_a_passing_run_and_no_earlier_comment_writes_nothing(commenting, github: FakeGitHub) -> None:
    github.add(7, "LGTM", user="octocat", kind="User")
    result = commenting(PASSING, PLAYDASH_COMMENT="on-failure")
    assert result.code == 0
    assert github.writes() == []
    assert {seen.method for seen in github.requests} == {"GET"}
    assert result.verdict["comment_url"] is None
    assert "nothing written" in result.stdout


def test_on_failure_updates_an_earlier_failure_comment_to_the_pass(commenting, github: FakeGitHub) -> None:
    assert commenting(FAILING, PLAYDASH_COMMENT="on-failure").code == 1
    result = commenting(PASSING, PLAYDASH_COMMENT="on-failure")
    assert result.code == 0
    [body] = github.bodies(7)
    assert "Playwright gate passed" in body
    assert [seen.method for seen in github.writes()] == ["POST", "PATCH"]
    assert result.verdict["comment_url"] == github.comments[(REPO, 7)][0]["html_url"]


def test_a_let_through_run_is_not_a_pass_for_on_failure(commenting, github: FakeGitHub) -> None:
    result = commenting(
        PASSING,
        PLAYDASH_COMMENT="on-failure",
        PLAYDASH_BASE_URL="http://127.0.0.1:9",
        PLAYDASH_ON_UNAVAILABLE="pass",
        PLAYDASH_TIMEOUT="0.5s",
    )
    assert result.code == 0
    [body] = github.bodies(7)
    assert "let the job pass" in body


def test_two_keys_keep_two_comments(commenting, github: FakeGitHub) -> None:
    commenting(FAILING, "--comment-key", "e2e chromium")
    commenting(FAILING, "--comment-key", "e2e firefox")
    commenting(PASSING, "--comment-key", "e2e chromium")
    first, second = github.bodies(7)
    assert first.startswith("<!-- playdash-gate: e2e chromium -->") and "gate passed" in first
    assert second.startswith("<!-- playdash-gate: e2e firefox -->") and "gate failed" in second


def test_the_comment_is_found_on_a_later_page(commenting, github: FakeGitHub) -> None:
    for number in range(150):
        github.add(7, f"comment {number}", user="octocat", kind="User")
    commenting(FAILING)
    for number in range(120):
        github.add(7, f"comment {number}", user="octocat", kind="User")
    result = commenting(PASSING)
    assert result.code == 0
    mine = [body for body in github.bodies(7) if body.startswith("<!-- playdash-gate")]
    assert len(mine) == 1 and "gate passed" in mine[0]
    pages = [seen.query.get("page") for seen in github.requests if seen.method == "GET"]
    assert pages == ["1", "2", "1", "2", "3"]


def test_the_newest_of_several_marked_comments_is_updated(commenting, github: FakeGitHub) -> None:
    github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nold")
    newer = github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nnewer")
    github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz2 -->\nanother key")
    commenting(PASSING)
    assert github.writes()[0].path == f"/repos/{REPO}/issues/comments/{newer['id']}"
    assert github.bodies(7)[0].endswith("old")


def test_a_marker_copied_by_a_person_is_not_the_gates_comment(commenting, github: FakeGitHub) -> None:
    commenting(FAILING)
    github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\n✅ passed (honest)", user="mallory", kind="User")
    commenting(FAILING)
    assert [seen.path for seen in github.writes()][1] == f"/repos/{REPO}/issues/comments/1001"
    assert github.bodies(7)[1].endswith("(honest)")


@pytest.mark.parametrize("association", ["NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", None])
def test_a_marker_copied_by_an_outsider_is_never_taken_over(commenting, github: FakeGitHub, association) -> None:
    """The marker is predictable: a comment by anyone but a bot or the repository's people is not the gate's."""
    copied = github.add(
        7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\n✅ passed", user="mallory", kind="User", association="NONE"
    )
    if association is None:
        del copied["author_association"]
    else:
        copied["author_association"] = association
    result = commenting(FAILING)
    assert result.code == 1 and warnings(result) == []
    assert [(seen.method, seen.path) for seen in github.writes()] == [("POST", f"/repos/{REPO}/issues/7/comments")]
    assert github.bodies(7)[0].endswith("✅ passed")


@pytest.mark.parametrize("association", ["OWNER", "MEMBER", "COLLABORATOR"])
def test_with_a_personal_token_the_gates_comment_is_a_persons(commenting, github: FakeGitHub, association) -> None:
    body = "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nwritten with a PAT"
    mine = github.add(7, body, user="ci-user", kind="User", association=association)
    commenting(PASSING)
    assert [seen.path for seen in github.writes()] == [f"/repos/{REPO}/issues/comments/{mine['id']}"]


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (401, "github-token"),
        (403, "pull-requests: write"),
        (404, "said 404. Check GITHUB_REPOSITORY and the pull request's number (--pull-request"),
        (409, "said 409. GitHub refused the request. The job's token needs `permissions: pull-requests: write`"),
        (422, "refused the comment's content"),
        (500, "stayed unavailable"),
        (502, "stayed unavailable"),
    ],
)
def test_github_refusing_or_failing_is_one_warning_and_the_verdict_stands(
    commenting, github: FakeGitHub, status: int, advice: str, simulated: Clock
) -> None:
    github.script = lambda seen: Answer(status, {"message": f"said {status}"}) if seen.method == "POST" else None
    result = commenting(FAILING, clock=simulated)  # a 5xx is retried to the comment's budget: simulated time
    assert result.code == 1
    assert result.verdict["verdict"] == "fail" and result.verdict["comment_url"] is None
    [warning] = warnings(result)
    assert advice in warning and f"said {status}" in warning
    assert "The verdict stands (fail, exit 1)" in warning
    if status == 403:
        assert "workflow_run" in warning
    if status == 404:  # the listing worked: no permission or fork is to blame
        assert "pull-requests: write" not in warning and "workflow_run" not in warning


def test_a_fork_token_on_the_listing_is_one_warning(commenting, github: FakeGitHub) -> None:
    github.script = lambda _seen: Answer(403, {"message": "Resource not accessible by integration"})
    result = commenting(PASSING)
    assert result.code == 0
    [warning] = warnings(result)
    assert "Resource not accessible by integration" in warning and "workflow_run" in warning


def test_429_and_5xx_are_retried_within_the_budget(commenting, github: FakeGitHub) -> None:
    faults = [Answer(429, {"message": "slow down"}, {"Retry-After": "0"}), Answer(502, {}), Answer(503, {})]
    github.script = lambda seen: faults.pop(0) if faults else None
    result = commenting(FAILING)
    assert result.code == 1 and warnings(result) == []
    assert len(github.bodies(7)) == 1
    assert result.verdict["comment_url"]


def test_a_wait_asked_beyond_the_budget_is_said_as_such(commenting, github: FakeGitHub) -> None:
    github.script = lambda _seen: Answer(429, {"message": "slow down"}, {"Retry-After": "60"})
    result = commenting(FAILING)
    assert result.code == 1 and len(github.requests) == 1
    [warning] = warnings(result)
    assert "GitHub asked the gate to wait 60s (Retry-After)" in warning and "slow down" in warning
    assert "stayed unavailable" not in warning


def test_a_secondary_rate_limit_403_is_waited_for(commenting, github: FakeGitHub) -> None:
    faults = [Answer(403, {"message": "You have exceeded a secondary rate limit"}, {"Retry-After": "0"})]
    github.script = lambda seen: faults.pop(0) if faults and seen.method == "POST" else None
    result = commenting(FAILING)
    assert warnings(result) == [] and len(github.bodies(7)) == 1


def test_a_post_whose_answer_was_lost_is_not_written_twice(commenting, github: FakeGitHub) -> None:
    lost = [True]

    def lose_the_first_answer(seen: Seen) -> Answer | None:
        if seen.method == "POST" and lost:
            lost.pop()
            github.add(7, seen.body["body"])
            return Answer(502, {"message": "Bad Gateway"})
        return None

    github.script = lose_the_first_answer
    result = commenting(FAILING)
    assert len(github.bodies(7)) == 1 and warnings(result) == []
    assert [seen.method for seen in github.writes()] == ["POST", "PATCH"]


@pytest.mark.parametrize(("mode", "run", "writes"), [("always", FAILING, 1), ("on-failure", PASSING, 0)])
def test_a_comment_deleted_before_its_update_is_written_anew(
    commenting, github: FakeGitHub, mode: str, run: SimRun, writes: int
) -> None:
    """Deleted between the listing and the PATCH (a 404): a new comment, unless on-failure has nothing to say."""
    github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nold")

    def delete_it_first(seen: Seen) -> Answer | None:
        if seen.method == "PATCH":
            github.comments[(REPO, 7)].clear()
            return Answer(404, {"message": "Not Found"})
        return None

    github.script = delete_it_first
    result = commenting(run, PLAYDASH_COMMENT=mode)
    assert result.code == run_code(run) and warnings(result) == []
    assert [seen.method for seen in github.writes()] == ["PATCH", "POST"][: 1 + writes]
    assert len(github.bodies(7)) == writes
    assert result.verdict["comment_url"] == (github.comments[(REPO, 7)][0]["html_url"] if writes else None)


def run_code(run: SimRun) -> int:
    return 1 if run is FAILING else 0


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_answered_2xx_without_json_is_written_once(commenting, github: FakeGitHub, method: str) -> None:
    """A 2xx means written: the write is not repeated, and the comment's address is unknown."""
    if method == "PATCH":
        github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nold")

    def garble(seen: Seen) -> Answer | None:
        if seen.method != method:
            return None
        if method == "POST":
            github.add(7, seen.body["body"])
        else:
            github.comments[(REPO, 7)][0]["body"] = seen.body["body"]
        return Answer(201 if method == "POST" else 200, b"<html>OK</html>")

    github.script = garble
    result = commenting(FAILING)
    assert result.code == 1 and warnings(result) == []
    assert [seen.method for seen in github.writes()] == [method]
    [body] = github.bodies(7)
    assert "gate failed" in body
    assert result.verdict["comment_url"] is None
    assert "GitHub gave no usable address for it" in result.stdout


def test_a_github_that_stalls_is_abandoned_within_the_budget(commenting, github: FakeGitHub) -> None:
    github.script = lambda _seen: Answer(200, [], stall=3.0)
    result = commenting(FAILING)
    assert result.code == 1 and result.verdict["verdict"] == "fail"
    [warning] = warnings(result)
    assert "stayed unavailable" in warning or "ran out before it was written" in warning


def test_a_timed_out_verdict_is_still_commented(commenting, github: FakeGitHub) -> None:
    result = commenting(SimRun(finish_after_polls=10_000), PLAYDASH_TIMEOUT="0.3s")
    assert result.code == 3
    [body] = github.bodies(7)
    assert "gave no verdict" in body
    assert result.verdict["comment_url"]


def test_a_set_up_error_is_commented_too(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING, PLAYDASH_API_KEY="<unset>")
    assert result.code == 2
    [body] = github.bodies(7)
    assert "could not run" in body and "no API key given" in body


def test_a_set_up_errors_comment_without_a_project_is_updated_once_the_project_is_known(
    commenting, github: FakeGitHub
) -> None:
    """No project id: the key ends in `-`; the next run, with the project, takes that comment over."""
    broken = commenting(FAILING, PLAYDASH_PROJECT_ID="<unset>", PLAYDASH_COMMENT="on-failure")
    assert broken.code == 2
    [body] = github.bodies(7)
    assert body.startswith("<!-- playdash-gate: e2e / gate / - -->\n") and "could not run" in body
    fixed = commenting(PASSING, PLAYDASH_COMMENT="on-failure")
    assert fixed.code == 0 and warnings(fixed) == []
    [body] = github.bodies(7)
    assert body.startswith("<!-- playdash-gate: e2e / gate / pdqmxlz -->\n") and "gate passed" in body
    assert [seen.method for seen in github.writes()] == ["POST", "PATCH"]
    assert fixed.verdict["comment_url"] == github.comments[(REPO, 7)][0]["html_url"]


def test_the_projects_own_comment_comes_before_one_without_a_project(commenting, github: FakeGitHub) -> None:
    github.add(7, "<!-- playdash-gate: e2e / gate / - -->\ncould not run")
    mine = github.add(7, "<!-- playdash-gate: e2e / gate / pdqmxlz -->\nfailed")
    commenting(PASSING)
    assert [seen.path for seen in github.writes()] == [f"/repos/{REPO}/issues/comments/{mine['id']}"]
    assert github.bodies(7)[0].endswith("could not run")


def test_a_given_key_never_takes_over_a_comment_without_a_project(commenting, github: FakeGitHub) -> None:
    github.add(7, "<!-- playdash-gate: e2e / gate / - -->\ncould not run")
    commenting(FAILING, "--comment-key", "chromium")
    assert [seen.method for seen in github.writes()] == ["POST"]


def test_the_token_is_masked_first_and_appears_in_no_output(commenting, github: FakeGitHub) -> None:
    echo = lambda seen: Answer(403, {"message": f"token {TOKEN} / {seen.headers['Authorization']} refused"})  # noqa: E731
    github.script = echo
    result = commenting(FAILING, "--comment", "always", RUNNER_DEBUG="1")
    assert "::debug::GitHub: GET /repos/acme/shop/issues/7/comments?per_page=100&page=1 -> 403" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[1] == f"::add-mask::{TOKEN}"
    everything = "\n".join(
        [*lines[2:], result.stderr, result.summary, result.json_path.read_text(), result.outputs]  # type: ignore[attr-defined]
    )
    assert TOKEN not in everything and TOKEN[4:20] not in everything
    assert API_KEY not in everything
    assert "***" in warnings(result)[0]


# Failed tests enough that their list (some 60 bytes a test) is twice the largest summary the comment is cut
# to (SHORT_SUMMARY_BYTES): every shorter rendering is tried and cut, as with 30,000 (more only cost time).
MANY_FAILED = 5_000


def test_thousands_of_failed_tests_make_a_comment_within_the_limit(github: FakeGitHub, tmp_path: Path) -> None:
    """A hostile NeetoPlaydash answers every failed test on one page: the comment still fits, its checks kept."""
    failed = [(f"fails when the cart holds {number} items", "failed") for number in range(MANY_FAILED)]
    specs = [spec(f"cart-{part}.spec.ts", *failed[part::40]) for part in range(40)]
    answer = run_body(status="failed", counts={"passed": 10, "failed": MANY_FAILED}, specs=specs)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    with hostile(lambda _request: Reply(200, answer)) as server:
        result = run_gate(
            tmp_path,
            base_url=server.url,
            env={
                "GITHUB_API_URL": github.url,
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_RUN_ID": "4821",
                "PLAYDASH_COMMENT": "always",
                # The other reports of thousands of tests take time, and are tested elsewhere.
                "PLAYDASH_JUNIT_FILE": None,  # type: ignore[dict-item]
                "PLAYDASH_MARKDOWN_FILE": None,  # type: ignore[dict-item]
            },
        )
    assert result.code == 1, result.everything[-2000:]
    [body] = github.bodies(7)
    assert 50_000 < len(body) <= MAX_COMMENT_CHARS
    assert "Shortened to fit GitHub's limit of 65,536 characters" in body
    # The whole report was past the largest shorter rendering too: each was tried.
    left_out = re.search(r"([\d,]+) characters of the report are left out", body)
    assert left_out is not None and int(left_out[1].replace(",", "")) > max(SHORT_SUMMARY_BYTES)
    assert "[the run in NeetoPlaydash](" in body and "[the workflow run's summary](" in body
    assert f"| failed tests | {MANY_FAILED} | ≤ 0 | ❌ |" in body
    assert body.count("<details>") == body.count("</details>")
    assert result.verdict["comment_url"]
    assert TOKEN not in result.everything.replace(f"::add-mask::{TOKEN}\n", "", 1)


def test_hostile_titles_stay_inert_in_the_comment(commenting, github: FakeGitHub) -> None:
    titles = [
        "pings @octocat and @acme/security and `@alice`",
        "<img src=x onerror=alert(1)> --> <!-- playdash-gate: e2e / gate / pdqmxlz -->",
        "[click](https://evil.example) ![x](https://evil.example/x.png) <details><summary>",
        "::error::injected\n## heading | table |",
    ]
    tests = [{"spec": "hostile.spec.ts", "title": title, "status": "failed", "duration": 1.0} for title in titles]
    commenting(SimRun(counts={"passed": 1, "failed": 4}, tests=tests))
    [body] = github.bodies(7)
    assert body.count("<!-- playdash-gate:") == 1 and body.count("-->") == 1
    assert "@octocat" not in body and "@acme/security" not in body and "@&#8203;octocat" in body
    assert "@alice" not in body and "@&#8203;alice" in body
    assert "<img" not in body and "](https://evil" not in body and "&lt;details&gt;&lt;summary&gt;" in body
    assert "\n## heading" not in body


def test_no_pull_request_is_a_note_and_no_request(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING, GITHUB_EVENT_NAME="push")
    assert result.code == 1 and github.requests == []
    assert "comment: no pull request to comment on (event 'push')" in result.stdout
    assert warnings(result) == []


def test_the_pull_request_flag_wins_over_the_event(commenting, github: FakeGitHub) -> None:
    commenting(FAILING, "--pull-request", "12", GITHUB_EVENT_NAME="workflow_run")
    assert len(github.bodies(12)) == 1 and github.bodies(7) == []


@pytest.mark.parametrize(
    ("unset", "says"), [("GITHUB_TOKEN", "no usable GitHub token"), ("GITHUB_REPOSITORY", "GITHUB_REPOSITORY")]
)
def test_no_token_or_repository_is_one_warning_and_no_request(
    commenting, github: FakeGitHub, unset: str, says: str
) -> None:
    result = commenting(FAILING, **{unset: "<unset>"})
    assert result.code == 1 and github.requests == []
    [warning] = warnings(result)
    assert says in warning


@pytest.mark.parametrize(
    ("flag", "value", "names"),
    [
        ("--comment", "sometimes", ("--comment", "PLAYDASH_COMMENT", "input `comment`")),
        ("--pull-request", "#12", ("--pull-request", "PLAYDASH_PULL_REQUEST")),
        ("--comment-key", "a-->b", ("--comment-key", "PLAYDASH_COMMENT_KEY")),
    ],
)
def test_a_bad_comment_setting_is_a_set_up_error(
    commenting, github: FakeGitHub, flag: str, value: str, names: tuple[str, ...]
) -> None:
    result = commenting(FAILING, flag, value)
    assert result.code == 2 and github.requests == []
    assert result.verdict["error_kind"] == "setup"
    for name in names:
        assert name in result.output


@pytest.mark.parametrize("secret", ["api key", "token"])
def test_a_comment_key_holding_part_of_a_secret_is_a_set_up_error(commenting, github: FakeGitHub, secret) -> None:
    """Redacted in the marker, such a key would never be found again: a new comment on every run."""
    part = API_KEY[4:14] if secret == "api key" else TOKEN[6:16]
    result = commenting(FAILING, "--comment-key", f"leg {part}")
    assert result.code == 2 and github.requests == []
    assert result.verdict["error_kind"] == "setup"
    assert "--comment-key" in result.output and "PLAYDASH_COMMENT_KEY" in result.output
    assert part not in unmasked(result)


def test_a_default_key_holding_part_of_a_secret_is_one_warning_and_no_request(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING, GITHUB_WORKFLOW=f"e2e {API_KEY[4:14]}")
    assert result.code == 1 and github.requests == []
    [warning] = warnings(result)
    assert "--comment-key" in warning and API_KEY[4:14] not in unmasked(result)


def test_the_action_input_turns_it_on(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING, PLAYDASH_COMMENT="<unset>", **{"INPUT_COMMENT": "on-failure"})
    assert result.code == 1 and len(github.bodies(7)) == 1


def test_a_redirect_to_another_origin_is_refused(commenting, github: FakeGitHub) -> None:
    with hostile(lambda _request: Reply(200, [])) as elsewhere:
        github.script = lambda _seen: Answer(
            307, {}, {"Location": f"{elsewhere.url}/repos/acme/shop/issues/7/comments"}
        )
        result = commenting(FAILING)
    assert result.code == 1 and elsewhere.requests == []
    [warning] = warnings(result)
    assert "refused to send the GitHub token" in warning or "redirected to another address" in warning
    assert "GITHUB_API_URL" in warning


def _endless_brackets() -> Iterator[bytes]:
    while True:
        yield b"[" * 65536


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (Reply(body=b"[" + b"{}," * 250_000 + b"{}]"), "holds more than 200,000 JSON values"),
        (Reply(chunks=_endless_brackets), "is larger than 26.6 MiB (2"),
        (Reply(body=b"[]", content_length=10**12), "is larger than 26.6 MiB (by its declared length)"),
    ],
    ids=["braces", "chunked-without-end", "length-past-the-limit"],
)
def test_an_answer_of_githubs_past_its_limits_is_one_warning(commenting, answer: Reply, why: str) -> None:
    with hostile(lambda _request: answer) as elsewhere:
        result = commenting(FAILING, GITHUB_API_URL=elsewhere.url)
    assert result.code == 1  # the verdict stands
    assert len(elsewhere.requests) == 1  # one answer past its limits is not asked for again
    [warning] = warnings(result)
    assert f"GitHub's answer {why}" in warning and "the gate does not read it" in warning


def test_a_next_page_on_another_origin_is_not_followed(commenting, github: FakeGitHub) -> None:
    with hostile(lambda _request: Reply(200, [])) as elsewhere:
        link = {"Link": f'<{elsewhere.url}/repos/acme/shop/issues/7/comments?page=2>; rel="next"'}
        github.script = lambda seen: Answer(200, [], link) if seen.method == "GET" else None
        result = commenting(FAILING)
    assert elsewhere.requests == [] and github.writes() == []
    [warning] = warnings(result)
    assert "another origin" in warning


def test_a_same_origin_redirect_is_followed(commenting, github: FakeGitHub) -> None:
    moved = [True]

    def move(seen: Seen) -> Answer | None:
        if seen.method == "GET" and moved:
            moved.pop()
            return Answer(301, {}, {"Location": f"{github.url}{seen.path}?per_page=100&page=1"})
        return None

    github.script = move
    assert commenting(FAILING).code == 1
    assert len(github.bodies(7)) == 1


@pytest.mark.parametrize("api_url", ["http://github.example.com", "ftp://127.0.0.1/", "https://user:pw@ghe.local"])
def test_an_unusable_api_address_is_one_warning_and_no_request(commenting, github: FakeGitHub, api_url: str) -> None:
    result = commenting(FAILING, GITHUB_API_URL=api_url)
    assert result.code == 1 and github.requests == []
    [warning] = warnings(result)
    assert "GITHUB_API_URL" in warning


@pytest.mark.parametrize(
    "payload",
    ['{"pull_request": {"number": true}}', '{"pull_request": {"number": "7"}}', '{"number": 7}', "[" * 100_000, "{"],
)
def test_an_unreadable_event_payload_is_one_warning_and_no_request(
    commenting, github: FakeGitHub, tmp_path: Path, payload: str
) -> None:
    event = tmp_path / "hostile-event.json"
    event.write_text(payload)
    result = commenting(FAILING, GITHUB_EVENT_PATH=str(event))
    assert result.code == 1 and github.requests == []
    [warning] = warnings(result)
    assert "event payload (GITHUB_EVENT_PATH) could not be read" in warning and "--pull-request" in warning
    assert "no pull request to comment on" not in result.stdout


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("missing", "cannot be read"),
        ("unset", "GITHUB_EVENT_PATH is not set"),
        ("fifo", "is not a regular file (a pipe)"),
        ("fifo written slowly forever", "is not a regular file (a pipe)"),
        ("directory", "is not a regular file (a folder)"),
        ("/dev/zero", "is not a regular file (a device)"),
        ("a link to /dev/zero", "is not a regular file (a device)"),
        ("oversized", "is larger than 10 bytes"),
        ("huge", "is larger than 8 MiB (1,000,000,000,000 bytes or more)"),
        ("braces", "holds more than 200,000 JSON values"),
        ("nested deeply", "not JSON"),
    ],
)
def test_a_pull_request_event_without_a_readable_payload_is_one_warning(
    commenting, github: FakeGitHub, tmp_path: Path, monkeypatch, kind: str, why: str
) -> None:
    event = tmp_path / "event-here"
    if kind.startswith("fifo"):
        os.mkfifo(event)
    elif kind == "directory":
        event.mkdir()
    elif kind == "/dev/zero":
        event = Path(kind)
    elif kind == "a link to /dev/zero":
        event.symlink_to("/dev/zero")
    elif kind == "oversized":
        monkeypatch.setattr("gate.event.EVENT_PAYLOAD", Limit("event payload", 10, 10))
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
    elif kind == "huge":
        with event.open("wb") as handle:
            handle.truncate(10**12)  # sparse: no room taken, and never read
    elif kind == "braces":
        event.write_text('{"pull_request": {"number": 7}, "padding": [' + "{}," * 300_000 + "{}]}")
    elif kind == "nested deeply":
        event.write_text("[" * 150_000 + "]" * 150_000)
    path = "<unset>" if kind == "unset" else str(event)
    writing = threading.Event()
    if kind == "fifo written slowly forever":

        def write() -> None:
            fd = os.open(event, os.O_WRONLY)  # waits for a reader: the gate's, or the release below
            with contextlib.suppress(OSError):
                while not writing.wait(0.05):
                    os.write(fd, b" ")
            os.close(fd)

        threading.Thread(target=write, daemon=True).start()
    # Were the FIFO opened, a writer that comes and goes ends the wait: the test fails rather than hangs.
    release = threading.Timer(3.0, lambda: kind == "fifo" and os.close(os.open(event, os.O_WRONLY | os.O_NONBLOCK)))
    release.start()
    try:
        result = commenting(FAILING, GITHUB_EVENT_NAME="pull_request_target", GITHUB_EVENT_PATH=path)
    finally:
        release.cancel()
        writing.set()
        if kind.startswith("fifo"):
            os.close(os.open(event, os.O_RDONLY | os.O_NONBLOCK))  # a writer still waiting is let go
    assert result.code == 1 and github.requests == []  # the verdict stands
    [warning] = warnings(result)
    assert "pull_request_target" in warning and "event payload (GITHUB_EVENT_PATH) could not be read" in warning
    assert why in warning


def test_without_commenting_nothing_is_asked_of_github(commenting, github: FakeGitHub) -> None:
    result = commenting(FAILING, PLAYDASH_COMMENT="off")
    assert result.code == 1 and github.requests == []
    assert f"::add-mask::{TOKEN}" not in result.stdout
    assert result.verdict["comment_url"] is None


def test_the_demo_never_comments(run_cli, github: FakeGitHub) -> None:
    env = {"GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN}
    result = run_cli("demo", "--comment", "always", "--pull-request", "7", env=env)
    assert result.code == 2 and github.requests == []
    assert "--comment" in result.output and "the demo talks only to its own simulator" in result.output


def test_the_action_comments_with_its_inputs_and_sets_the_comment_url_output(
    simulator, github: FakeGitHub, tmp_path: Path
) -> None:
    """As the runner starts the container: every declared input set (hyphens kept), the token as an input."""
    from tests.acceptance.test_action import parse_github_output, runner_env

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    env = runner_env(simulator(FAILING), workspace, **{"comment": "always", "github-token": TOKEN})
    assert env["INPUT_GITHUB-TOKEN"] == TOKEN
    env.update(
        {
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": "pull_request_target",
            "GITHUB_EVENT_PATH": str(event),
        }
    )
    done = run_main([], env, cwd=workspace)
    assert done.code == 1
    outputs = parse_github_output(Path(env["GITHUB_OUTPUT"]).read_text())
    assert outputs["comment-url"] == github.comments[(REPO, 7)][0]["html_url"]
    assert done.stdout.splitlines()[1] == f"::add-mask::{TOKEN}"


def test_a_cancel_while_commenting_ends_the_comment_and_keeps_the_reports(commenting, github: FakeGitHub) -> None:
    def cancel_the_gate(_seen: Seen) -> Answer:
        # The main thread waits for the comment under the gate's own signal handler by now.
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        return Answer(200, [], stall=2.0)

    github.script = cancel_the_gate
    result = commenting(FAILING)
    assert result.code == 1 and result.verdict["verdict"] == "fail"
    [warning] = warnings(result)
    assert "cancelled while writing it" in warning


def test_pages_that_repeat_are_one_warning_and_no_write(commenting, github: FakeGitHub) -> None:
    again = {"Link": f'<{github.url}/repos/{REPO}/issues/7/comments?per_page=100&page=1>; rel="next"'}
    github.script = lambda seen: Answer(200, [], again) if seen.method == "GET" else None
    result = commenting(FAILING)
    assert github.writes() == []
    [warning] = warnings(result)
    assert "the pages of comments repeat" in warning


def test_a_link_header_too_long_to_read_is_one_warning_and_no_write(commenting, github: FakeGitHub) -> None:
    """Past its bound, a Link header is not "no next page": the comment may be on the pages not read."""
    far = f'<{github.url}/repos/{REPO}/issues/7/comments?per_page=100&page=2&pad={"x" * 17_000}>; rel="next"'
    github.script = lambda seen: Answer(200, [], {"Link": far}) if seen.method == "GET" else None
    result = commenting(FAILING)
    assert github.writes() == [] and len(github.requests) == 1
    [warning] = warnings(result)
    assert "Link header" in warning


def test_past_the_cap_of_pages_nothing_is_written(commenting, github: FakeGitHub, monkeypatch) -> None:
    monkeypatch.setattr("gate.comment.api.MAX_PAGES", 2)
    for number in range(250):
        github.add(7, f"comment {number}", user="octocat", kind="User")
    result = commenting(FAILING)
    assert github.writes() == [] and len(github.requests) == 2
    [warning] = warnings(result)
    assert "did not end within 2 pages" in warning and "more than" not in warning


def test_the_token_never_goes_through_a_proxy_from_the_environment(
    commenting, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Plain http reaches only loopback: a proxy named by the environment must never see the token go by.
    import socket

    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(8)
        proxy.settimeout(0.05)
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.getsockname()[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = commenting(FAILING)
        assert result.code == 1
        assert len(github.writes()) == 1
        with pytest.raises(TimeoutError):
            proxy.accept()
