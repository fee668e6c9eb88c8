"""Class 4, every spelling: the key and the token, echoed in every form the runner's masker knows and in the
forms a hostile server may choose beyond them, reach no sink in any form.

Each test runs the real CLI in-process against a hostile NeetoPlaydash (and a fake GitHub) over real HTTP,
with every sink on (console, step summary, outputs, annotations, JSON, JUnit, Markdown, the comment), and
reads everything back with `traces`, which decodes with the standard library, not with the gate's redactor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate.clock import Clock
from tests.acceptance.adversarial.hostile import (
    API_KEY,
    SPELLINGS,
    GateResult,
    Reply,
    hostile,
    run_body,
    run_gate,
    spec,
    traces,
)
from tests.acceptance.github_fake import REPO, TOKEN, Answer, FakeGitHub

# The hostile server's usual key, and one that holds escapes of its own (`%2C`, `:`, `,`).
KEYS = [API_KEY, "pd_live_%percent%2C:colon,comma"]


def unmasked(result: GateResult) -> str:
    """Everything the gate wrote but its `::add-mask::` lines, which must name the secrets to hide them."""
    return "\n".join(line for line in result.everything.split("\n") if not line.startswith("::add-mask::"))


def refusal(status: int) -> Callable[[str], tuple[Reply, int, str]]:
    """An error body echoing the form in each of Neeto's fields; the message keeps the server's words."""

    def reply(form: str) -> tuple[Reply, int, str]:
        body = {"error": f"invalid key {form}", "errors": [form], "field_errors": [{"field": form, "message": form}]}
        return Reply(status, body), 2, "(the API said: invalid key ***"

    return reply


def reason_phrase(status: int) -> Callable[[str], tuple[Reply, int, str]]:
    """A server error whose reason phrase echoes the form, and a wait past the deadline: the gate gives up at
    once, the reason phrase in its message."""

    def reply(form: str) -> tuple[Reply, int, str]:
        return Reply(status, {}, headers={"Retry-After": "86400"}, reason=f"down {form}"), 3, f"HTTP {status} down ***"

    return reply


def location(form: str) -> tuple[Reply, int, str]:
    """A redirect elsewhere whose address echoes the form."""
    return Reply(302, b"", headers={"Location": f"https://elsewhere.example/keys/{form}"}), 2, "redirect"


def refusal_cut_at(offset: int) -> Callable[[str], tuple[Reply, int, str]]:
    """A 401 whose error message holds the form at `offset`, around where the reports cut it (300 characters)."""

    def reply(form: str) -> tuple[Reply, int, str]:
        return Reply(401, {"error": "e" * offset + form + " was refused", "errors": [form], "notice": form}), 2, ""

    return reply


# Where a server's words reach the gate's messages; each spelling of each key takes one of them in turn
# (every spelling goes through every sink; tests/unit/test_redact.py crosses every spelling with each).
CHANNELS: dict[str, Callable[[str], tuple[Reply, int, str]]] = {
    "401 body": refusal(401),
    "403 body": refusal(403),
    "404 body": refusal(404),
    "422 body": refusal(422),
    "500 reason phrase": reason_phrase(500),
    "503 reason phrase": reason_phrase(503),
    "Location": location,
}
# Keys with Markdown, URL, HTML and command metacharacters, echoed as they are at every offset around the cut.
CUT_KEYS = [*KEYS, "pd-live.A1*B2_C3-D4~e5", "pd_live_[brackets](and)|pipes|", 'pd_live_<html>&amp;"quoted"']
CUTS = {f"401 body, the key at {offset}": refusal_cut_at(offset) for offset in range(280, 305)}
# One table of every echo of a key in an error: each spelling by a channel in turn, then each cut.
CASES = [
    (key, spelling, list(CHANNELS)[index % len(CHANNELS)])
    for index, (key, spelling) in enumerate((key, spelling) for key in KEYS for spelling in SPELLINGS)
] + [(key, "plain", cut) for key in CUT_KEYS for cut in CUTS]
CHANNELS.update(CUTS)


@pytest.mark.parametrize(("key", "spelling", "channel"), CASES)
def test_a_server_echoing_the_key_in_an_error_shows_it_in_no_form(
    tmp_path: Path, key: str, spelling: str, channel: str
) -> None:
    reply, code, said = CHANNELS[channel](SPELLINGS[spelling](key))
    with hostile(lambda _request: reply) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_API_KEY": key})
    assert result.code == code, result.everything[-2000:]
    assert "Traceback" not in result.everything
    # The server's words are still told (they are how a user finds out what went wrong), the key masked.
    assert said in result.verdict["message"]
    assert traces(key, unmasked(result)) == []


@pytest.mark.parametrize(
    "spelling", ["base64 of x-access-token: and it", "percent, every character", "\\u, every character"]
)
def test_a_content_type_echoing_the_key_shows_it_in_no_form(tmp_path: Path, spelling: str, simulated: Clock) -> None:
    """A 200 that is not JSON is retried until the deadline (a simulated second): three spellings, not all."""
    headers = {"Content-Type": f"text/{SPELLINGS[spelling](API_KEY)}"}
    with hostile(lambda _request: Reply(200, "<html>", headers=dict(headers))) as server:
        result = run_gate(tmp_path, base_url=server.url, timeout="1s", clock=simulated)
    assert result.code == 3
    # The whole base64 run is masked, `text/` with it (`/` is a base64 character).
    assert "not JSON (***" in result.verdict["message"] or "not JSON (text/***" in result.verdict["message"]
    assert traces(API_KEY, unmasked(result)) == []


# -- both secrets in the run's own words, with the comment on -----------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def commenting(tmp_path: Path, github: FakeGitHub, handler: Callable[..., Reply]) -> GateResult:
    """The gate as a GitHub step on pull request #7, commenting always, against a hostile NeetoPlaydash."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    env = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4821",
        "PLAYDASH_COMMENT": "always",
    }
    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env=env)
    assert "Traceback" not in result.everything
    return result


def test_an_answer_echoing_both_secrets_in_every_form_shows_them_in_no_sink_nor_the_comment(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """Titles, spec names, the commit, the branch and the author echo the key and the token in every form:
    the token is no secret of NeetoPlaydash's, so it is caught at the sinks, after their own escaping."""
    forms = [spell(secret) for secret in (API_KEY, TOKEN) for spell in SPELLINGS.values()]
    specs = [spec(f"{form}.spec.ts", (f"echoes {form}", "failed"), (form, "flaky")) for form in forms]
    body = run_body(
        status="failed",
        counts={"failed": len(forms), "flaky": len(forms)},
        specs=specs,
        commit_name=" ".join(forms),
        branch=forms[1],
        author=forms[-1],
        tags=forms[:3],
    )
    result = commenting(tmp_path, github, lambda _request: Reply(200, body))
    assert result.code == 1
    [comment] = github.bodies(7)
    assert "echoes ***" in comment and "echoes ***" in result.summary and "echoes ***" in result.junit
    for secret in (API_KEY, TOKEN):
        assert traces(secret, unmasked(result)) == []
        assert traces(secret, comment) == []


@pytest.mark.parametrize(
    ("spelling", "status"), [(spelling, (401, 403, 422)[index % 3]) for index, spelling in enumerate(SPELLINGS)]
)
def test_github_refusing_with_the_token_in_any_form_shows_it_nowhere(
    tmp_path: Path, github: FakeGitHub, spelling: str, status: int
) -> None:
    form = SPELLINGS[spelling](TOKEN)
    github.script = lambda _seen: Answer(status, {"message": f"Bad credentials {form}", "errors": [{"message": form}]})
    result = commenting(tmp_path, github, lambda _request: Reply(200, run_body(counts={"passed": 3})))
    assert result.code == 0
    assert f"HTTP {status}" in result.stdout and "Bad credentials ***" in result.stdout
    assert traces(TOKEN, unmasked(result)) == []
