"""Class 4: the key never reaches a sink, whole, escaped or cut, wherever a hostile server echoes it.

Server text is redacted where it enters the gate, before any cutting or escaping; the sinks redact
again in every spelling they could give the key. Keys with Markdown, URL and command metacharacters are
echoed at every offset around each cut the reports make.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec

KEYS = [
    "pd_live_K3y.with-*odd*_chars",
    "pd-live.A1*B2_C3-D4~e5",
    "pd_live_[brackets](and)|pipes|",
    "pd_live_%percent%2C:colon,comma",
    'pd_live_<html>&amp;"quoted"',
]
# Where the reports cut text (300 for titles and error bodies, 500 for messages, 200 for spec names).
CUTS = [200, 300, 500]


def fragments(key: str, size: int = 8) -> set[str]:
    return {key[i : i + size] for i in range(len(key) - size + 1)}


def assert_no_trace(key: str, text: str) -> None:
    # The one line that must hold the key: the runner takes it and never shows it.
    text = "\n".join(line for line in text.split("\n") if not line.startswith("::add-mask::"))
    leaked = [fragment for fragment in fragments(key) if fragment in text]
    assert not leaked, leaked


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("cut", CUTS)
def test_a_key_echoed_in_titles_around_each_cut(tmp_path: Path, key: str, cut: int) -> None:
    offsets = range(cut - len(key) - 2, cut + 2)
    specs = [spec(f"{'s' * offset}{key}.spec.ts", *[(f"{'t' * offset}{key} tail", "failed")]) for offset in offsets]
    body = run_body(
        status="failed",
        counts={"failed": len(specs)},
        specs=specs,
        commit_name="c" * (cut - 5) + key,
        branch=key,
        author=key,
        tags=[key],
    )
    with hostile(lambda _request: Reply(body=body)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_API_KEY": key})
    assert result.code == 1
    assert_no_trace(key, result.everything)


@pytest.mark.parametrize("key", KEYS)
def test_a_key_echoed_by_a_server_error_and_a_garbled_answer(tmp_path: Path, key: str) -> None:
    answers = iter(
        [
            Reply(status=503, body={"error": key * 3}),
            Reply(status=200, body=f"<html>{key}</html>", headers={"Content-Type": f"text/{key}"}),
            Reply(body=run_body(status=key, counts={"passed": 1})),
        ]
    )

    def handler(_request: Request) -> Reply:
        return next(answers, Reply(body=run_body(status=key)))

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_API_KEY": key})
    # The status is the key: not a final status the gate knows, so it fails.
    assert result.code == 1
    assert_no_trace(key, result.everything)


def test_the_key_in_a_statistic_name_and_a_run_id_of_list_runs(tmp_path: Path) -> None:
    key = KEYS[0]

    def handler(request: Request) -> Reply:
        if request.path.endswith("/runs"):
            runs = [{"run_id": "kftwnab", "ci_build_id": "b-1", "note": key}]
            return Reply(body={"runs": runs, "pagination": {"total_pages": 1}})
        body = run_body(counts={"passed": 1})
        body["run_statistics"].append({"name": key, "value": 2})
        return Reply(body=body)

    with hostile(handler) as server:
        result = run_gate(
            tmp_path,
            base_url=server.url,
            env={"PLAYDASH_API_KEY": key, "PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-1"},
        )
    # A statistic the gate does not know (here named after the key) fails it: it cannot judge those tests.
    assert result.code == 1
    assert_no_trace(key, result.everything)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    "echo",
    [
        lambda key: key[1:],
        lambda key: key[:-1],
        lambda key: key[3:],
        lambda key: key[2:-2],
        lambda key: key[:12] + "\r" + key[12:],
        lambda key: key[:10] + "\u2028" + key[10:],
    ],
    ids=["drop-first", "drop-last", "drop-three", "middle", "split-by-cr", "split-by-ls"],
)
def test_a_fragment_of_the_key_echoed_in_an_answer_is_masked(tmp_path: Path, key: str, echo) -> None:
    """Whole-key redaction cannot match a part of the key: every run of 8 of its characters is masked."""
    part = echo(key)
    body = run_body(
        status="failed",
        counts={"failed": 1},
        specs=[spec(f"{part}.spec.ts", (f"echo {part}", "failed"))],
        commit_name=part,
        author=part,
    )
    with hostile(lambda _request: Reply(body=body)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_API_KEY": key})
    assert result.code == 1
    assert_no_trace(key, result.everything)


@pytest.mark.parametrize("key", KEYS)
def test_a_saved_answer_is_redacted_as_it_enters(tmp_path: Path, key: str) -> None:
    """A saved file is as untrusted as an answer: the key and any 8 of its characters are masked before
    any sink escapes them (the summary's Markdown escaping would hide a fragment from a later match)."""
    import json

    pieces = [key[1:11], key[-10:], key[3:-3]]
    saved = run_body(
        status="failed",
        counts={"failed": 1},
        specs=[spec(f"{pieces[0]}.spec.ts", (f"title {pieces[1]} and {pieces[2]}", "failed"))],
        commit_name=key,
    )
    path = tmp_path / "run.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    result = run_gate(tmp_path, "--from-file", str(path), env={"PLAYDASH_API_KEY": key})
    assert result.code == 1
    assert_no_trace(key, result.everything)
