"""Reporters: console, step summary and JSON, on every exit path, with hostile text made inert."""

from __future__ import annotations

import json
import re

import pytest

from gate.cli.progress import ConsoleProgress
from gate.ending import Ending
from gate.evaluate import evaluate
from gate.job.events import Retrying
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.report import console, json_report, markdown
from gate.text import inline, link
from gate.text import markdown as md
from tests.conftest import case

HOSTILE = [
    "x\n::error::pwned",
    "::add-mask::everything",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[link](javascript:alert(1))",
    "a | b | c",
    "`code` ``` fence",
    "# heading\r\n## another",
    "**bold** _it_ ~~s~~ $x^2$",
    "\x1b[31mred\x1b[0m \x00 \x07 bell",
    "bidi \u202egnp.exe",
    "1. not a list",
    "line\u2028sep\u2029para\x85nel",
    "x" * 5000,
]


def outcome(failed: list[TestResult], flaky: list[TestResult] | None = None, **run_fields: object) -> Outcome:
    run = Run(
        "pdqmxlz",
        "kftwnab",
        "failed",
        False,
        {"passed": 3, "failed": len(failed), "flaky": len(flaky or [])},
        **run_fields,
    )  # type: ignore[arg-type]
    verdict = evaluate(case(run, failed, flaky or []))
    return Outcome(
        ending=Ending.FAILED,
        exit_code=1,
        message="gate failed",
        version="1.0",
        project_id="pdqmxlz",
        run_id="kftwnab",
        run_url="https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab",
        run=run,
        result=verdict,
        config_source="built-in defaults",
    )


def json_text(outcome: Outcome) -> str:
    return "".join(json_report.chunks(outcome))


def hostile_outcome() -> Outcome:
    failed = [TestResult(title, title, "failed", 1.0) for title in HOSTILE]
    return outcome(failed, commit_name=HOSTILE[0], branch=HOSTILE[2], author=HOSTILE[4], tags=tuple(HOSTILE[:3]))


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_is_one_printable_line(text: str) -> None:
    result = inline(text)
    assert "\n" not in result and "\r" not in result
    assert all(ch.isprintable() for ch in result)
    assert len(result) <= 300


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_escaping_leaves_no_markup(text: str) -> None:
    result = md(text)
    assert "<" not in result and ">" not in result
    assert not re.search(r"(?<!\\)[`|*_\[\]()$]", result), result
    assert "\n" not in result


def test_link_targets_cannot_break_out() -> None:
    assert link("run", "https://x/a)(c<d>[e]") == "[run](https://x/a%29%28c%3Cd%3E%5Be%5D)"
    assert link("run", "https://x/a b") == "run"


def test_console_lines_never_start_a_workflow_command() -> None:
    text = console.render(hostile_outcome())
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line


def test_console_report_lists_checks_tests_and_link() -> None:
    failed = [
        TestResult("cart.spec.ts", "adds an item", "failed", 3.2),
        TestResult("checkout.spec.ts", "applies a coupon", "failed", 4.0),
    ]
    flaky = [TestResult("search.spec.ts", "finds by SKU", "flaky", 2.2)]
    text = console.render(outcome(failed, flaky))
    assert re.search(r"failed tests\s+2\s+<= 0\s+FAIL", text)
    assert re.search(r"tests run\s+6\s+>= 1\s+ok", text)
    assert "FAILED  cart.spec.ts › adds an item" in text
    assert "FLAKY   search.spec.ts › finds by SKU" in text
    assert "run: https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab" in text
    assert text.splitlines()[-1] == "✖ gate failed: 2 failed tests (limit 0)   (exit 1)"
    assert "\033[" not in text


def test_console_colour_only_when_asked() -> None:
    assert "\033[31m" in console.render(outcome([TestResult("a", "b", "failed", 1.0)]), colour=True)


def test_summary_headline_run_line_checks_and_groups() -> None:
    failed = [
        TestResult("cart.spec.ts", "adds an item", "failed", 3.2),
        TestResult("cart.spec.ts", "removes one", "failed", 1.1),
    ]
    text = markdown.render(
        outcome(
            failed,
            commit_name="Fix coupons",
            branch="feature/coupons",
            commit_id="9fceb02e1d",
            author="Oliver",
            duration=182.0,
            total_shards=4,
        )
    )
    lines = text.splitlines()
    assert lines[0] == "## ❌ Playwright gate failed — 2 failed tests \\(limit 0\\)"
    assert (
        "**Fix coupons** · <code>feature/coupons</code> @ <code>9fceb02</code> · Oliver · failed in 3m 02s · 4 shards"
        in text
    )
    assert "| failed tests | 2 | ≤ 0 | ❌ |" in text
    assert "### Failed tests (2)" in text
    assert text.count("**cart.spec.ts**") == 1
    assert "[Open the run in NeetoPlaydash](https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab)" in text


def test_summary_of_hostile_text_is_inert() -> None:
    text = markdown.render(hostile_outcome())
    assert "<script" not in text and "<img" not in text and "](javascript" not in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.count("|") - line.count("\\|") == 5, line
        assert not line.startswith(("::", "#", "1.")) or line.startswith("## ") or line.startswith("### ")
    assert len(max(text.splitlines(), key=len)) < 2000


def test_summary_stays_under_one_mebibyte_for_huge_runs() -> None:
    # Twice as many long titles as the summary holds (each is listed cut, in more than 300 bytes): enough to
    # overflow it, without listing 100,000 tests to show it.
    count = 2 * markdown.MAX_SUMMARY_BYTES // 300
    failed = [TestResult(f"spec-{i % 2000}.spec.ts", "t" * 1000 + str(i), "failed", 1.0) for i in range(count)]
    flaky = [TestResult(f"spec-{i}.spec.ts", "f" * 1000, "flaky", 1.0) for i in range(5000)]
    text = markdown.render(outcome(failed, flaky))
    assert len(text.encode()) <= markdown.MAX_SUMMARY_BYTES
    assert re.search(r"…and [\d,]+ more failed tests — see the run in NeetoPlaydash", text)
    assert "</details>" in text.split("Flaky tests")[-1]


def test_summary_of_an_error_says_what_to_do() -> None:
    error = Outcome(
        ending=Ending.SETUP_ERROR,
        exit_code=2,
        message="HTTP 401: the API key was refused; check the secret",
        version="1.0",
        error_kind="setup",
    )
    text = markdown.render(error)
    assert text.splitlines()[:3] == [
        "## ⚠️ Playwright gate could not run — set-up error",
        "",
        "HTTP 401: the API key was refused; check the secret",
    ]
    timeout = Outcome(
        ending=Ending.NO_VERDICT,
        exit_code=3,
        message="the run was still running",
        version="1.0",
        run=Run("p", "r", "failing", True, {"failed": 2}),
    )
    assert markdown.render(timeout).startswith("## ⚠️ Playwright gate gave no verdict — the run was still running")
    assert "failing" in markdown.render(timeout)


def test_summary_of_a_pass_is_short() -> None:
    run = Run("p", "r", "passed", False, {"passed": 10})
    passed = Outcome(ending=Ending.PASSED, exit_code=0, message="", version="1.0", run=run, result=evaluate(case(run)))
    text = markdown.render(passed)
    assert text.startswith("## ✅ Playwright gate passed — 10 tests, 0 failed, 0 flaky")
    assert "Tests in the run: 10 passed · 0 failed · 0 flaky" in text.splitlines()
    assert "Failed tests" not in text and len(text.splitlines()) < 17


def test_json_has_every_field_and_survives_hostile_text() -> None:
    data = json.loads(json_text(hostile_outcome()))
    for key in (
        "verdict",
        "exit_code",
        "message",
        "project_id",
        "run_id",
        "status",
        "statistics",
        "checks",
        "failed_tests",
        "flaky_tests",
        "url",
    ):
        assert key in data
    assert data["verdict"] == "fail" and data["exit_code"] == 1
    assert data["checks"][0] == {
        "name": "failed",
        "label": "failed tests",
        "actual": len(HOSTILE),
        "comparison": "<=",
        "limit": 0,
        "passed": False,
        "detail": None,
    }
    assert data["failed_tests"][0] == {
        "spec": HOSTILE[0],
        "title": HOSTILE[0],
        "status": "failed",
        "duration": 1.0,
        "history": None,
    }


def test_json_of_an_error() -> None:
    data = json.loads(json_text(Outcome(ending=Ending.NO_VERDICT, exit_code=3, message="m", version="1")))
    assert (data["verdict"], data["exit_code"], data["status"], data["checks"]) == ("error", 3, None, [])


def test_a_burst_of_trouble_with_the_api_is_one_line_then_at_most_one_every_15_seconds() -> None:
    printed: list[str] = []

    class Lines:
        def print(self, line: str) -> None:
            printed.append(line)

    progress = ConsoleProgress(Lines(), debug=False)  # type: ignore[arg-type]
    for elapsed in (0.0, 2.0, 14.9, 15.0, 20.0, 29.9, 31.0):
        progress(Retrying("HTTP 503 Service Unavailable", 1, 4.0, elapsed, 600.0 - elapsed))
    assert [line.split(" left")[0].rsplit("· ", 1)[1] for line in printed] == ["10m 00s", "9m 45s", "9m 29s"]
    assert printed[0] == (
        "API trouble: HTTP 503 Service Unavailable · 1 attempt so far · next try in 4.0s · "
        "10m 00s left before the timeout"
    )


def test_what_the_api_answered_is_shown_on_one_line_and_cut() -> None:
    line = console.retry_line("HTTP 502 x\n::error::pwned" + "y" * 500, 3, 31.0, 5.0)
    assert "\n" not in line and line.startswith("API trouble: HTTP 502 x ::error::pwned")
    assert "3 attempts so far · next try in 31.0 s · 5.0 s left before the timeout" in line
    assert len(line) < 300
