"""Class 6 (sinks): one broken report never costs the others; each is written on its own, on every path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.report import console, json_report, junit, markdown
from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate, spec


def _broken_stream(*_args: object, **_kwargs: object) -> Iterator[str]:
    yield "<partial"
    raise ValueError("broken half-way")


def _broken(*_args: object, **_kwargs: object) -> str:
    raise ValueError("broken")


SINKS = {
    "junit": (junit, "chunks", _broken_stream, "JUnit report"),
    "json": (json_report, "chunks", _broken_stream, "JSON verdict"),
    "markdown": (markdown, "render", _broken, "summary"),
    "console": (console, "render", _broken, "console report"),
}


@pytest.mark.parametrize("name", SINKS)
@pytest.mark.parametrize(("status", "code"), [("passed", 0), ("failed", 1)])
def test_a_broken_sink_costs_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, status: str, code: int
) -> None:
    module, attribute, replacement, what = SINKS[name]
    monkeypatch.setattr(module, attribute, replacement)
    counts = {"passed": 3, "failed": 1} if status == "failed" else {"passed": 3}
    specs = [spec("a.ts", ("broke", "failed"))] if status == "failed" else []
    with hostile(lambda _request: Reply(body=run_body(status=status, counts=counts, specs=specs))) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == code
    assert f"the {what} could not be written" in result.stderr
    verdict_word = "pass" if code == 0 else "fail"
    if name != "json":
        assert result.verdict["verdict"] == verdict_word
    else:
        # Nothing half-written is left where the verdict file would be.
        assert result.json_text == ""
    if name != "junit":
        assert result.junit.startswith("<?xml")
    if name != "markdown":
        assert "Playwright gate" in result.summary
        assert "Playwright gate" in result.markdown
    if name == "console":
        assert f"verdict: {verdict_word}" in result.stderr
    assert "verdict<<" in result.outputs_text
    assert f"\n{verdict_word}\n" in result.outputs_text
    assert "::add-mask::" in result.stdout
    assert "Traceback" not in result.stderr
