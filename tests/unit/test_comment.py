"""The pull request comment's parts: settings, the event payload, the marker, the body, and GitHub's answers."""

from __future__ import annotations

import datetime
import io
import itertools
import json
import os
import threading
from pathlib import Path

import pytest

from gate.answers import parse_retry_after
from gate.bounded import Limit
from gate.ci import repository, workflow_run_url
from gate.cli.comment import CommentReporter
from gate.cli.console import Console
from gate.comment.api import GitHubApi, Unavailable, Unusable, message, next_link
from gate.comment.body import MAX_COMMENT_CHARS, Signature, comment_body, silence_mentions, whole_lines
from gate.comment.sticky import comment_address, own_comment
from gate.comment.target import (
    CommentOptions,
    Place,
    Skip,
    UnreadableEvent,
    api_root,
    comment_key,
    comment_options,
    event_pull_request,
    former_key,
    locate,
    marker,
    pull_request_number,
)
from gate.deadline import Deadline
from gate.ending import Ending
from gate.errors import SetupError
from gate.evaluate import Verdict
from gate.model import TestResult
from gate.outcome import Outcome
from gate.redact import Redactor
from gate.redirects import connection_origin
from gate.retry import TransientFault
from gate.settings import Sources

TOKEN = "ghs_UnitTestT0ken_abcdefghijklmnop"
WHEN = datetime.datetime(2026, 11, 28, 23, 40, 5, tzinfo=datetime.timezone.utc)


def sources(env: dict[str, str] | None = None, **flags: str) -> Sources:
    return Sources(flags=flags, env=env or {})


@pytest.mark.parametrize(
    ("raw", "mode"), [(None, "off"), ("", "off"), ("OFF", "off"), (" always ", "always"), ("On-Failure", "on-failure")]
)
def test_the_comment_modes(raw: str | None, mode: str) -> None:
    assert comment_options(sources(comment=raw) if raw is not None else sources()).mode == mode


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        ({"comment": "yes"}, "--comment"),
        ({"comment": "on_failure"}, "--comment"),
        ({"pull_request": "0"}, "--pull-request"),
        ({"pull_request": "99999999999"}, "--pull-request"),
        ({"pull_request": "1e3"}, "--pull-request"),
        ({"comment_key": "a\nb"}, "--comment-key"),
        ({"comment_key": "x" * 101}, "--comment-key"),
        ({"comment_key": "<b>"}, "--comment-key"),
    ],
)
def test_a_bad_comment_setting_names_its_flag_and_variable(flags: dict[str, str], names: str) -> None:
    with pytest.raises(SetupError) as raised:
        comment_options(sources(**flags))
    assert names in raised.value.message and "PLAYDASH_" in raised.value.message


def test_a_comment_key_holding_part_of_a_secret_is_refused() -> None:
    env = {"PLAYDASH_API_KEY": "pdk_live_S3cr3tK3y_unit", "GITHUB_TOKEN": TOKEN}
    for key in ("leg S3cr3tK3y", f"leg {TOKEN[5:14]}"):
        with pytest.raises(SetupError, match="--comment-key holds part of the API key or of the GitHub token"):
            comment_options(sources(env, comment="always", comment_key=key))
    assert comment_options(sources(env, comment="always", comment_key="leg 1")).key == "leg 1"


def test_the_action_inputs_are_read_with_hyphens_kept() -> None:
    env = {
        "INPUT_COMMENT": "always",
        "INPUT_PULL-REQUEST": "12",
        "INPUT_COMMENT-KEY": "leg 1",
        "GITHUB_ACTIONS": "true",
    }
    assert comment_options(sources(env)) == CommentOptions("always", 12, "leg 1")


@pytest.mark.parametrize(
    ("text", "number"), [("1", 1), ("2147483647", 2147483647), ("2147483648", None), ("-1", None), ("", None)]
)
def test_pull_request_numbers_are_strict(text: str, number: int | None) -> None:
    assert pull_request_number(text) == number


@pytest.mark.parametrize(
    ("event", "payload", "number"),
    [
        ("pull_request", {"pull_request": {"number": 7}}, 7),
        ("pull_request_target", {"pull_request": {"number": 8}}, 8),
        ("push", {"pull_request": {"number": 7}}, None),
        ("workflow_run", [7], None),
        ("pull_request", {"number": 7}, UnreadableEvent),
        ("pull_request", {"pull_request": {"number": True}}, UnreadableEvent),
        ("pull_request", {"pull_request": {"number": 7.0}}, UnreadableEvent),
        ("pull_request", {"pull_request": {"number": "7"}}, UnreadableEvent),
        ("pull_request", {"pull_request": {"number": -7}}, UnreadableEvent),
        ("pull_request", {"pull_request": {"number": 2**40}}, UnreadableEvent),
        ("pull_request", {"pull_request": [7]}, UnreadableEvent),
        ("pull_request", [7], UnreadableEvent),
    ],
)
def test_the_event_payload_is_untrusted(tmp_path: Path, event: str, payload: object, number: object) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)}
    if number is UnreadableEvent:
        with pytest.raises(UnreadableEvent, match="pull_request.number"):
            event_pull_request(env)
    else:
        assert event_pull_request(env) == number


def test_an_unreadable_or_oversized_payload_is_unreadable(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "event.json"
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path)}
    with pytest.raises(UnreadableEvent, match="cannot be read"):
        event_pull_request(env)  # missing
    with pytest.raises(UnreadableEvent, match="GITHUB_EVENT_PATH is not set"):
        event_pull_request({"GITHUB_EVENT_NAME": "pull_request_target"})
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(UnreadableEvent, match="not JSON"):
        event_pull_request(env)
    path.write_text("[" * 100_000)
    with pytest.raises(UnreadableEvent, match="not JSON"):
        event_pull_request(env)
    path.write_text(json.dumps({"pull_request": {"number": 7}, "padding": "x" * 1000}))
    monkeypatch.setattr("gate.event.EVENT_PAYLOAD", Limit("event payload", 100, 100))
    with pytest.raises(UnreadableEvent, match="larger than"):
        event_pull_request(env)
    with pytest.raises(UnreadableEvent, match="not a regular file"):
        event_pull_request({**env, "GITHUB_EVENT_PATH": str(tmp_path)})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_the_event_payload_is_refused_without_waiting(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer, forever: the gate must not even open it."""
    fifo = tmp_path / "event.json"
    os.mkfifo(fifo)
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(fifo)}
    raised: list[BaseException] = []

    def read() -> None:
        try:
            event_pull_request(env)
        except BaseException as error:  # noqa: BLE001 - looked at below
            raised.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(2.0)
    if reader.is_alive():  # let the stuck reader go: a writer that opens and closes at once ends its wait
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(2.0)
        pytest.fail("reading GITHUB_EVENT_PATH waited on a FIFO")
    [error] = raised
    assert isinstance(error, UnreadableEvent) and "not a regular file" in str(error)


def test_the_default_key_is_workflow_job_and_project_made_inert() -> None:
    env = {"GITHUB_WORKFLOW": "CI --> <b>@all</b>", "GITHUB_JOB": "e2e"}
    key = comment_key(CommentOptions("always"), env, "pdqmxlz")
    assert ">" not in key and "<" not in key
    assert key.startswith("CI ") and key.endswith(" / e2e / pdqmxlz")
    assert comment_key(CommentOptions("always", key="mine"), env, "pdqmxlz") == "mine"
    assert marker("mine") == "<!-- playdash-gate: mine -->"
    assert comment_key(CommentOptions("always"), {}, None) == "- / - / -"


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        (None, True),
        ("https://ghe.example.com/api/v3/", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
        ("http://api.github.com", False),
        ("https://user@api.github.com", False),
        ("https://api.github.com/?x=1", False),
        ("https://api.github.com\\@evil.example", False),
        ("https://api.github .com", False),
        ("javascript:alert(1)", False),
    ],
)
def test_the_api_address(raw: str | None, ok: bool) -> None:
    if ok:
        root, origin = api_root(raw)
        assert not root.endswith("/") and origin.scheme in ("http", "https")
    else:
        with pytest.raises(ValueError, match=r"\w"):
            api_root(raw)


@pytest.mark.parametrize(
    ("raw", "repo"),
    [
        ("acme/shop", "acme/shop"),
        ("acme/shop.js", "acme/shop.js"),
        ("acme", None),
        ("a/b/c", None),
        ("../x", None),
        ("acme\n/shop", None),
        ("acme/shop\n/x", None),
        ("acme/sh\nop", None),
    ],
)
def test_the_repository(raw: str, repo: str | None) -> None:
    assert repository(raw) == repo


def test_the_workflow_run_address() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42"}
    assert workflow_run_url(env) == "https://github.com/acme/shop/actions/runs/42"
    assert workflow_run_url({**env, "GITHUB_RUN_ID": "42)"}) is None
    assert workflow_run_url({**env, "GITHUB_REPOSITORY": "acme\n/shop"}) is None
    # A link is http or https, and never anything else (gate/links.py).
    assert (
        workflow_run_url({**env, "GITHUB_SERVER_URL": "http://ghe.local/"})
        == "http://ghe.local/acme/shop/actions/runs/42"
    )
    for server in ("javascript:alert(1)", "//github.com", "https://github.com?x=1", "https://u@github.com"):
        assert workflow_run_url({**env, "GITHUB_SERVER_URL": server}) is None


def test_locate_says_why_not() -> None:
    options = CommentOptions("always", pull_request=3)
    assert isinstance(locate(CommentOptions("always"), sources({"PLAYDASH_COMMENT": "always"})), Skip)
    env = {"PLAYDASH_COMMENT": "always", "GITHUB_REPOSITORY": "acme/shop"}
    no_token = locate(options, sources(env))
    assert isinstance(no_token, Skip) and no_token.warning and "token" in no_token.message
    place = locate(options, sources({**env, "GITHUB_TOKEN": TOKEN}))
    assert isinstance(place, Place)
    assert place.comments_url == "https://api.github.com/repos/acme/shop/issues/3/comments"
    assert TOKEN not in repr(place)
    spaced = locate(options, sources({**env, "GITHUB_TOKEN": "abc def ghi"}))
    assert isinstance(spaced, Skip) and spaced.warning


def outcome(failed: int = 0, title: str = "breaks") -> Outcome:
    tests = tuple(TestResult(f"spec-{n % 7}.spec.ts", f"{title} {n}", "failed", 1.0) for n in range(failed))
    verdict = Verdict(checks=(), counts={"failed": failed, "passed": 3}, total=failed + 3, failed_tests=tests)
    ending = Ending.FAILED if failed else Ending.PASSED
    return Outcome(
        ending, int(bool(failed)), "gate", "0.1.0", run_url="https://acme.neetoplaydash.com/r", result=verdict
    )


SIGNED = Signature(WHEN, "https://github.com/acme/shop/actions/runs/42", "e2e", "gate")


def test_a_short_body_is_the_summary_with_the_marker_and_who_wrote_it_when() -> None:
    body = comment_body(outcome(2), marker("k"), SIGNED)
    assert body.startswith("<!-- playdash-gate: k -->\n\n## ❌ Playwright gate failed")
    assert "Written 2026-11-28 23:40:05 UTC by the [workflow run](https://github.com/acme/shop/actions/runs/42)" in body
    assert "(e2e · gate)" in body and "Shortened" not in body


@pytest.mark.parametrize("title", ["a plain title", "日本語のテスト名はとても長い" * 3, "@someone pinged"])
def test_a_long_body_is_cut_to_the_limit_in_characters(title: str) -> None:
    body = comment_body(outcome(30_000, title), marker("k"), SIGNED)
    assert len(body) <= MAX_COMMENT_CHARS
    assert body.count("<details") == body.count("</details>")
    assert "Shortened to fit" in body and "characters of the report are left out" in body
    assert "(https://acme.neetoplaydash.com/r)" in body and "(https://github.com/acme/shop/actions/runs/42)" in body
    assert body.rstrip().endswith("updated in place on every run.</sub>")


def test_the_cut_keeps_whole_lines_and_closes_open_details() -> None:
    text = "head\n<details><summary>x</summary>\n" + "".join(f"- line {n}\n" for n in range(100)) + "</details>\n"
    kept = whole_lines(text, 200)
    assert len(kept) <= 200
    assert kept.endswith("\n</details>\n") and kept.count("<details>") == kept.count("</details>") == 1
    assert all(line.startswith(("head", "<details", "- line", "</details>")) or not line for line in kept.split("\n"))
    assert whole_lines("short\n", 200) == "short\n"


@pytest.mark.parametrize(
    ("text", "silenced"),
    [
        ("@octocat", "@&#8203;octocat"),
        ("ping @acme/team now", "ping @&#8203;acme/team now"),
        ("(@x)", "(@&#8203;x)"),
        ("`@alice`", "`@&#8203;alice`"),
        ("\\`@alice\\`", "\\`@&#8203;alice\\`"),
        ("mail me@example.com", "mail me@example.com"),
        ("main @ 9fceb02", "main @ 9fceb02"),
    ],
)
def test_mentions_are_silenced(text: str, silenced: str) -> None:
    assert silence_mentions(text) == silenced


ACTIONS = {"login": "github-actions[bot]", "type": "Bot"}


def test_the_newest_own_comment_is_chosen() -> None:
    mark = marker("k")
    comments = [
        {"id": 5, "body": f"{mark}\nold", "user": ACTIONS},
        {"id": 9, "body": f"{mark}\nnew", "user": ACTIONS},
        {"id": 12, "body": f"{marker('k2')}\nother key", "user": ACTIONS},
        {"id": 30, "body": f"{mark}\ncopied", "user": {"type": "User"}, "author_association": "MEMBER"},
        {"id": 31, "body": f"{mark}\ncopied", "user": {"login": "other[bot]", "type": "Bot"}},
        {"id": True, "body": mark, "user": ACTIONS},
        {"id": "40", "body": mark, "user": ACTIONS},
        {"id": -1, "body": mark, "user": ACTIONS},
        {"id": 50, "body": None, "user": ACTIONS},
    ]
    assert own_comment(comments, mark) == 9
    assert own_comment(comments[3:], mark) == 31
    assert own_comment([], mark) is None


@pytest.mark.parametrize(
    "body",
    [
        "FYI: the gate finds its comment by {mark}, do not copy it",
        "> {mark}\n> quoted from the gate's comment\n\nagreed",
        "\n{mark}\nwith a line before it",
    ],
)
def test_a_comment_that_only_mentions_the_marker_is_not_the_gates(body: str) -> None:
    # The gate writes its marker as the first line: an owner's note or a reply quoting it is never overwritten.
    mark = marker("k")
    owner = {"user": {"login": "boss", "type": "User"}, "author_association": "OWNER"}
    assert own_comment([{"id": 7, "body": body.format(mark=mark), **owner}], mark) is None
    assert own_comment([{"id": 7, "body": body.format(mark=mark), "user": ACTIONS}], mark) is None


def test_the_comment_of_a_set_up_error_without_a_project_is_the_gates_once_the_project_is_known() -> None:
    env = {"GITHUB_WORKFLOW": "e2e", "GITHUB_JOB": "gate"}
    assert former_key(CommentOptions("always"), env, "pdqmxlz") == "e2e / gate / -"
    assert former_key(CommentOptions("always"), env, None) is None
    assert former_key(CommentOptions("always", key="mine"), env, "pdqmxlz") is None
    mark, former = marker("e2e / gate / pdqmxlz"), marker("e2e / gate / -")
    unknown = {"id": 20, "body": f"{former}\ncould not run", "user": ACTIONS}
    known = {"id": 10, "body": f"{mark}\nfailed", "user": ACTIONS}
    copied = {"id": 30, "body": former, "user": {"type": "User"}, "author_association": "NONE"}
    assert own_comment([unknown, copied], mark, former) == 20
    assert own_comment([known, unknown], mark, former) == 10
    assert own_comment([unknown], mark) is None
    assert own_comment([copied], mark, former) is None


@pytest.mark.parametrize(
    ("author", "ours"),
    [
        ({"user": ACTIONS}, True),
        ({"user": {"login": "my-app[bot]", "type": "Bot"}}, True),
        ({"user": {"login": "ci", "type": "User"}, "author_association": "OWNER"}, True),
        ({"user": {"login": "ci", "type": "User"}, "author_association": "MEMBER"}, True),
        ({"user": {"login": "ci", "type": "User"}, "author_association": "COLLABORATOR"}, True),
        ({"user": {"login": "mallory", "type": "User"}, "author_association": "NONE"}, False),
        ({"user": {"login": "mallory", "type": "User"}, "author_association": "CONTRIBUTOR"}, False),
        ({"user": {"login": "mallory", "type": "User"}, "author_association": "FIRST_TIME_CONTRIBUTOR"}, False),
        ({"user": {"login": "mallory", "type": "User"}, "author_association": "FIRST_TIMER"}, False),
        ({"user": {"login": "mallory", "type": "User"}, "author_association": "member"}, False),
        ({"user": {"login": "github-actions[bot]", "type": "User"}}, False),
        ({"user": "github-actions[bot]", "author_association": ["OWNER"]}, False),
        ({}, False),
    ],
)
def test_only_a_bot_or_the_repositorys_people_write_the_gates_comment(author: dict[str, object], ours: bool) -> None:
    mark = marker("k")
    assert own_comment([{"id": 7, "body": f"{mark}\nbody", **author}], mark) == (7 if ours else None)


@pytest.mark.parametrize(
    ("url", "server", "ok"),
    [
        ("https://github.com/acme/shop/pull/7#issuecomment-1", "https://github.com", True),
        ("https://GitHub.com:443/acme/shop/pull/7#issuecomment-1", "https://github.com", True),
        ("https://ghe.example.com/acme/shop/pull/7#c", "https://ghe.example.com/", True),
        ("http://127.0.0.1:9/acme/shop/pull/7#c", "http://127.0.0.1:9", True),
        ("http://127.0.0.1:9/acme/shop/pull/7#c", "https://github.com", False),
        ("https://evil.example/acme/shop/pull/7", "https://github.com", False),
        ("https://github.com.evil.example/x", "https://github.com", False),
        ("https://github.com:8443/x", "https://github.com", False),
        ("https://github.com/acme/shop/pull/7", "https://ghe.example.com", False),
        ("https://github.com/acme/shop/pull/7", None, False),
        ("http://github.com/acme/shop/pull/7", "https://github.com", False),
        ("javascript:alert(1)", "https://github.com", False),
        ("https://github.com/a b", "https://github.com", False),
        ("https://user:pw@github.com/x", "https://github.com", False),
        ("https://github.com:99999/x", "https://github.com", False),
        (42, "https://github.com", False),
    ],
)
def test_the_comment_address_from_githubs_answer_is_checked(url: object, server: str | None, ok: bool) -> None:
    assert comment_address({"html_url": url}, server) == (url if ok else None)


def test_the_comment_address_must_be_on_the_server_of_github_server_url() -> None:
    options = CommentOptions("always", pull_request=3)
    env = {"PLAYDASH_COMMENT": "always", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN}
    for server, expected in [(None, "https://github.com"), ("https://ghe.example.com/", "https://ghe.example.com")]:
        place = locate(options, sources({**env, "GITHUB_SERVER_URL": server} if server else env))
        assert isinstance(place, Place) and place.server == expected
    place = locate(options, sources({**env, "GITHUB_SERVER_URL": "http://github.com"}))
    assert isinstance(place, Place) and place.server is None


def test_next_links() -> None:
    header = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"'
    assert next_link(header) == "https://api.github.com/x?page=2"
    assert next_link('<https://api.github.com/x?page=9>; rel="last"') is None
    assert next_link("") is None
    with pytest.raises(Unusable, match="Link header"):
        next_link("<" + "x" * 20_000 + '>; rel="next"')


def test_githubs_message_is_redacted_and_cut() -> None:
    body = json.dumps({"message": f"bad {TOKEN} " + "y" * 500, "errors": [{"message": "body is too long"}]})
    said = message(body.encode(), Redactor([TOKEN]))
    assert TOKEN not in said and "***" in said and len(said) <= 200
    assert message(b"not json", Redactor([TOKEN])) == ""


def test_retries_wait_with_the_backoff_and_give_up_before_the_budget(clock) -> None:
    deadline = Deadline(20.0, clock=clock)
    api = GitHubApi(connection_origin("https://api.github.com/"), TOKEN, deadline, sleep=clock.sleep)
    faults = [TransientFault("HTTP 502"), TransientFault("HTTP 429", retry_after=3.0)]

    def flaky() -> str:
        if faults:
            raise faults.pop(0)
        return "done"

    assert api.retrying(flaky) == "done"
    assert len(clock.sleeps) == 2 and 0.75 <= clock.sleeps[0] <= 1.0 and clock.sleeps[1] >= 3.0

    def always_busy() -> str:
        raise TransientFault("HTTP 429", retry_after=60.0)

    with pytest.raises(Unavailable, match="1 attempt; last: HTTP 429") as raised:
        api.retrying(always_busy)
    assert raised.value.asked == 60.0 and 0 < raised.value.left < 20
    assert len(clock.sleeps) == 2  # a wait past the budget is not even begun


@pytest.mark.parametrize("retry_after", ["0", "0.001", "Thu, 01 Jan 2026 00:00:00 GMT"])
def test_a_storm_asking_for_no_wait_is_met_with_the_backoff(clock, retry_after: str) -> None:
    """`Retry-After: 0` (or a date past) is no wish at all: the backoff paces the retries, not the server."""
    deadline = Deadline(20.0, clock=clock)
    api = GitHubApi(connection_origin("https://api.github.com/"), TOKEN, deadline, sleep=clock.sleep)
    asked: list[float | None] = []

    def busy() -> str:
        clock.now += 0.045  # each answer takes a moment, as over a network
        asked.append(parse_retry_after(retry_after))
        raise TransientFault("HTTP 429 slow down", retry_after=asked[-1])

    with pytest.raises(Unavailable):
        api.retrying(busy)
    assert asked[0] < 0.01
    assert len(asked) <= 8  # not hundreds within the 20 s
    first = clock.sleeps[:4]
    assert len(first) == 4 and first[0] >= 0.75
    assert all(later > earlier for earlier, later in itertools.pairwise(first))  # growing waits


def test_a_cancelled_gate_writes_no_comment() -> None:
    out = io.StringIO()
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/shop", "PLAYDASH_COMMENT": "always"}
    reporter = CommentReporter(CommentOptions("always", 7), sources(env), Console(out, out, None))
    cancelled = Outcome(Ending.CANCELLED, 3, "cancelled", "0.1.0")
    assert reporter.post(cancelled) is None
    assert "not written, since the gate was cancelled" in out.getvalue()
