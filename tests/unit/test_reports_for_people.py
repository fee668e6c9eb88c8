"""The reports as a person reads them: counts that agree with their nouns, what failed the gate open, a short
headline without a verdict, quarantined tests beside the counted ones, the run's own breakdown, quarantined
failures as warnings and quarantine entries too broad to be safe."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

import pytest

from gate.config.types import Policy, QuarantineEntry, Thresholds
from gate.ending import Ending
from gate.evaluate import evaluate
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.plural import noun, plural
from gate.policy import MAX_QUARANTINE_MATCHES, in_force, matches_every_test
from gate.report import console, github, markdown
from gate.text import command_data
from gate.text import markdown as md
from tests.conftest import case

TODAY = datetime.date(2026, 11, 28)
UNTIL = datetime.date(2026, 12, 31)


def listed(status: str, count: int, spec: str = "cart.spec.ts") -> list[TestResult]:
    return [TestResult(spec, f"{status} {index}", status, 1.0) for index in range(count)]


def judged(
    failed: Sequence[TestResult] = (),
    flaky: Sequence[TestResult] = (),
    *,
    policy: Policy | None = None,
    statistics: dict[str, int] | None = None,
    **run_fields: Any,
) -> Outcome:
    """The outcome a finished run comes to under a policy, as the CLI builds it."""
    stats = statistics if statistics is not None else {"passed": 3, "failed": len(failed), "flaky": len(flaky)}
    status = run_fields.pop("status", "failed" if stats.get("failed") else "passed")
    run = Run("pdqmxlz", "kftwnab", status, False, stats, **run_fields)
    verdict = evaluate(case(run, failed, flaky, policy=policy or Policy(), today=TODAY))
    return Outcome(
        ending=Ending.PASSED if verdict.passed else Ending.FAILED,
        exit_code=0 if verdict.passed else 1,
        message="",
        version="1.0",
        run=run,
        result=verdict,
        run_url="https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab",
        requests=1,
    )


def quarantine(spec: str | None = None, test: str | None = None, index: int = 0) -> QuarantineEntry:
    return QuarantineEntry(index, spec, test, "PAY-123: sandbox is flaky", UNTIL, "@payments")


def annotations(outcome: Outcome) -> list[tuple[str, str]]:
    """(kind, the whole line) of each annotation."""
    return [(line[2:].split(" ", 1)[0].split("::", 1)[0], line) for line in github.annotation_lines(outcome)]


# 1. Plurals ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 failed tests"), (1, "1 failed test"), (2, "2 failed tests"), (1204, "1,204 failed tests")],
)
def test_a_count_agrees_with_its_noun(count: int, expected: str) -> None:
    assert plural(count, "failed test") == expected


def test_an_irregular_plural_and_a_verb() -> None:
    assert [plural(n, "new failure") for n in (1, 2)] == ["1 new failure", "2 new failures"]
    assert [noun(n, "was", "were") for n in (0, 1, 2)] == ["were", "was", "were"]


@pytest.mark.parametrize(
    ("policy", "failed", "flaky", "statistics", "reason"),
    [
        (Policy(), 1, 0, None, "1 failed test (limit 0)"),
        (Policy(), 2, 0, None, "2 failed tests (limit 0)"),
        (Policy(thresholds=Thresholds(failed=5, flaky=0)), 0, 1, None, "1 flaky test (limit 0)"),
        (Policy(thresholds=Thresholds(failed=5, flaky=0)), 0, 3, None, "3 flaky tests (limit 0)"),
        (Policy(thresholds=Thresholds(skipped=0)), 0, 0, {"passed": 3, "skipped": 1}, "1 skipped test (limit 0)"),
        (Policy(), 0, 0, {"passed": 3, "timed_out": 1}, "1 timed-out test (limit 0)"),
        (Policy(thresholds=Thresholds(min_tests=5)), 0, 0, {"passed": 1}, "only 1 test run (at least 5 required)"),
        (Policy(), 0, 0, {"passed": 3, "failure": 1}, "1 test of unknown status (limit 0)"),
    ],
)
def test_the_reason_agrees_with_its_count_everywhere(
    policy: Policy, failed: int, flaky: int, statistics: dict[str, int] | None, reason: str
) -> None:
    outcome = judged(listed("failed", failed), listed("flaky", flaky), policy=policy, statistics=statistics)
    assert console.render(outcome).splitlines()[-1] == f"✖ gate failed: {reason}   (exit 1)"
    assert markdown.render(outcome).splitlines()[0] == f"## ❌ Playwright gate failed — {md(reason)}"
    assert github.annotation_lines(outcome)[0] == f"::error title=Playwright gate failed::{reason}"


def test_a_pass_of_one_test_and_one_of_each_in_its_lines() -> None:
    outcome = judged(statistics={"passed": 1}, total_shards=1)
    text = markdown.render(outcome)
    assert text.splitlines()[0] == "## ✅ Playwright gate passed — 1 test, 0 failed, 0 flaky"
    assert "passed · 1 shard" in text
    assert "waited 0.0 s, 1 request</sub>" in text


def test_lists_cut_short_say_how_many_more_in_agreement() -> None:
    many = judged(listed("failed", console.MAX_LISTED + 1))
    assert "... and 1 more failed test (see the summary or the run)" in console.render(many).splitlines()
    flaky = judged(flaky=listed("flaky", 11), policy=Policy(thresholds=Thresholds(flaky=0)))
    assert github.annotation_lines(flaky)[-1] == "::warning::…and 2 more flaky tests: see the step summary or the run"


@pytest.mark.parametrize(("unlisted", "words"), [(1, "1 failed test was"), (2, "2 failed tests were")])
def test_tests_counted_but_not_listed_agree(unlisted: int, words: str) -> None:
    outcome = judged(listed("failed", 1), statistics={"passed": 3, "failed": 1 + unlisted})
    assert f"({words} counted but not listed by the API)" in console.render(outcome).splitlines()
    assert f"{words} counted but not listed by the API" in markdown.render(outcome).splitlines()


def test_warnings_and_days_agree() -> None:
    policy = Policy(
        thresholds=Thresholds(flaky=5),
        warn={"flaky": 0},
        quarantine=(QuarantineEntry(0, "pay/*", None, "PAY-1", TODAY + datetime.timedelta(days=1)),),
    )
    outcome = judged(listed("failed", 1, "pay/a.spec.ts"), listed("flaky", 1), policy=policy)
    text = console.render(outcome)
    assert "warning: 1 flaky test (warn above 0)" in text.splitlines()
    assert "[PAY-1 · 1 day left]" in text
    assert "quarantine[0] (spec 'pay/*'): in force, EXPIRING in 1 day (until 2026-11-29) · PAY-1 · 1 day left" in [
        line.strip() for line in console.policy_lines(policy, in_force(policy, None, (), TODAY))
    ]


# 2. What failed the gate is open, the rest folded ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "opened", "folded"),
    [
        (Thresholds(failed=5, flaky=0), ["Flaky tests (2)"], ["Failed tests (1)"]),
        (Thresholds(failed=0, flaky=5), ["Failed tests (1)"], ["Flaky tests (2)"]),
        (Thresholds(failed=0, flaky=0), ["Failed tests (1)", "Flaky tests (2)"], []),
        (Thresholds(failed=None, failed_rate=0.1), ["Failed tests (1)"], ["Flaky tests (2)"]),
        (Thresholds(failed=5, flaky=5), [], ["Failed tests (1)", "Flaky tests (2)"]),
    ],
)
def test_what_failed_the_gate_is_open_above_the_checks_the_rest_folded_below(
    thresholds: Thresholds, opened: list[str], folded: list[str]
) -> None:
    outcome = judged(listed("failed", 1), listed("flaky", 2), policy=Policy(thresholds=thresholds))
    lines = markdown.render(outcome).splitlines()
    checks = lines.index("| check | actual | limit | |")
    for title in opened:
        assert lines.index(f"### {title}") < checks
        assert f"<details><summary>{title}</summary>" not in lines
    for title in folded:
        assert lines.index(f"<details><summary>{title}</summary>") > checks
        assert f"### {title}" not in lines


def test_a_run_failed_by_its_status_shows_its_failed_tests_open() -> None:
    policy = Policy(thresholds=Thresholds(failed=None), fail_on=("failed",))
    lines = markdown.render(judged(listed("failed", 1), policy=policy)).splitlines()
    assert "### Failed tests (1)" in lines


# 3. Without a verdict, a short headline and the message below it --------------------------------------------------


@pytest.mark.parametrize(
    ("ending", "kind", "message", "expected"),
    [
        (Ending.SETUP_ERROR, "setup", "HTTP 401: the API key was refused", "could not run — set-up error"),
        (Ending.NO_VERDICT, "timeout", "the run was still running", "gave no verdict — the run was still running at"),
        (Ending.NO_VERDICT, "unavailable", "HTTP 503 for 30m", "gave no verdict — the API was unavailable"),
        (
            Ending.LET_THROUGH,
            "unavailable",
            "HTTP 503 for 30m",
            "gave no verdict and let the job pass (on-unavailable: pass) — the API was unavailable",
        ),
        (Ending.NO_VERDICT, "unusable_answer", "not JSON", "gave no verdict — the API's answer could not be used"),
        (Ending.CANCELLED, "cancelled", "the gate was cancelled (SIGTERM)", "gave no verdict — cancelled"),
        (
            Ending.NO_VERDICT,
            "no_verdict",
            "unexpected error (KeyError); this is a bug in playdash-gate, please report it",
            "gave no verdict — unexpected error \\(KeyError\\)",
        ),
    ],
)
def test_without_a_verdict_the_headline_is_short_and_the_message_follows(
    ending: Ending, kind: str, message: str, expected: str
) -> None:
    long_message = message + "; " + "details " * 200
    text = markdown.render(Outcome(ending, 2, long_message, "1.0", error_kind=kind))
    headline, blank, first = text.splitlines()[:3]
    assert headline.startswith(f"## ⚠️ Playwright gate {expected}")
    assert len(headline) < 120
    assert (blank, first) == ("", md(long_message, 2000))


def test_a_set_up_error_lists_its_problems_below_the_headline_all_escaped() -> None:
    message = "the config .playdash-gate.yml is not valid:\n  - quarantine[0].spec: <b>bad</b>\n  - version: ::error::"
    lines = markdown.render(Outcome(Ending.SETUP_ERROR, 2, message, "1.0", error_kind="setup")).splitlines()
    assert lines[:7] == [
        "## ⚠️ Playwright gate could not run — set-up error",
        "",
        "the config .playdash-gate.yml is not valid:",
        "",
        "- quarantine\\[0\\].spec: &lt;b&gt;bad&lt;/b&gt;",
        "- version: ::error::",
        "",
    ]


# 4. Counted and quarantined side by side --------------------------------------------------------------------------


def quarantined_outcome() -> Outcome:
    failed = listed("failed", 2) + listed("failed", 2, "pay/a.spec.ts")
    flaky = listed("flaky", 1) + listed("flaky", 3, "pay/b.spec.ts")
    policy = Policy(thresholds=Thresholds(failed=0, flaky=5), quarantine=(quarantine("pay/*"),))
    return judged(failed, flaky, policy=policy)


def test_the_console_table_shows_quarantined_tests_beside_the_counted_ones() -> None:
    lines = console.render(quarantined_outcome()).splitlines()
    assert lines[1:5] == [
        "  check                    actual                    limit",
        "  failed tests                  2 (+2 quarantined)   <= 0                         FAIL",
        "  flaky tests                   1 (+3 quarantined)   <= 5                         ok",
        "  timed-out tests               0                    <= 0                         ok",
    ]


def test_the_summary_table_shows_quarantined_tests_beside_the_counted_ones() -> None:
    lines = markdown.render(quarantined_outcome()).splitlines()
    assert "| failed tests | 2 (+2 quarantined) | ≤ 0 | ❌ |" in lines
    assert "| flaky tests | 1 (+3 quarantined) | ≤ 5 | ✅ |" in lines
    assert "| timed-out tests | 0 | ≤ 0 | ✅ |" in lines
    assert "<details><summary>Quarantined tests (5)</summary>" in lines


# 5. The run's own breakdown -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statistics", "line"),
    [
        (
            {"passed": 38, "failed": 3, "flaky": 1, "skipped": 2, "timed_out": 1},
            "38 passed · 3 failed · 1 flaky · 2 skipped · 1 timed out",
        ),
        ({"passed": 10}, "10 passed · 0 failed · 0 flaky"),
        ({"passed": 5, "skipped": 0, "interrupted": 2}, "5 passed · 0 failed · 0 flaky · 2 interrupted"),
        ({"passed": 1200, "total": 1200}, "1,200 passed · 0 failed · 0 flaky"),
        ({"passed": 1, "<b>odd</b>": 1}, "1 passed · 0 failed · 0 flaky · 1 &lt;b&gt;odd&lt;/b&gt;"),
    ],
)
def test_the_summary_has_the_runs_own_breakdown_on_one_line(statistics: dict[str, int], line: str) -> None:
    lines = markdown.render(
        judged(statistics=statistics, policy=Policy(thresholds=Thresholds(failed=None)))
    ).splitlines()
    assert [text for text in lines if text.startswith("Tests in the run: ")] == [f"Tests in the run: {line}"]


# 6. Quarantined failures are warnings; too broad an entry is flagged ----------------------------------------------


def test_a_quarantined_failure_is_a_warning_annotation_naming_the_entry() -> None:
    outcome = judged(listed("failed", 1, "pay/a.spec.ts"), policy=Policy(quarantine=(quarantine("pay/*"),)))
    assert outcome.ending is Ending.PASSED
    assert github.annotation_lines(outcome)[1:] == [
        "::warning file=pay/a.spec.ts,title=Quarantined failure%3A failed 0::Quarantined failure: failed 0 "
        "(let through by quarantine[0] (spec 'pay/*'): PAY-123: sandbox is flaky · @payments · 33 days left)"
    ]


def test_quarantined_failures_and_flaky_tests_share_the_warnings_within_the_cap() -> None:
    failed = listed("failed", 15, "pay/a.spec.ts")
    outcome = judged(
        failed, listed("flaky", 15), policy=Policy(thresholds=Thresholds(flaky=20), quarantine=(quarantine("pay/*"),))
    )
    kinds = annotations(outcome)
    warnings = [line for kind, line in kinds if kind == "warning"]
    assert len(warnings) == github.MAX_ANNOTATIONS
    assert sum("Quarantined failure:" in line for line in warnings) == 4
    assert "::warning::…and 11 more quarantined failures: see the step summary or the run" in warnings
    assert "::warning::…and 11 more flaky tests: see the step summary or the run" in warnings


@pytest.mark.parametrize(
    ("spec", "test"),
    [("*", None), ("**", None), ("*/*", None), ("**/*.*", None), (None, "*"), ("*", "*"), (None, "* *")],
)
def test_an_entry_of_wildcards_alone_matches_every_test(spec: str | None, test: str | None) -> None:
    assert matches_every_test(quarantine(spec, test))


@pytest.mark.parametrize(
    ("spec", "test"),
    [("checkout/*", None), ("*", "adds an item"), (None, "adds *"), ("?", None), ("*.spec.ts", None)],
)
def test_an_entry_naming_something_does_not_match_every_test(spec: str | None, test: str | None) -> None:
    assert not matches_every_test(quarantine(spec, test))


BROAD = "quarantine[0] (spec 'pay/*') matched 21 failed or flaky tests of this run, more than 20: it is too broad"
EVERY = "quarantine[0] (spec '*') matches every test: it would let any broken run pass"


@pytest.mark.parametrize(
    ("entry", "failed", "flagged"),
    [
        (quarantine("pay/*"), MAX_QUARANTINE_MATCHES + 1, BROAD),
        (quarantine("pay/*"), MAX_QUARANTINE_MATCHES, None),
        (quarantine("*"), 1, EVERY),
        (quarantine("*"), 0, EVERY),
    ],
)
def test_too_broad_an_entry_is_flagged_in_the_console_summary_and_annotations(
    entry: QuarantineEntry, failed: int, flagged: str | None
) -> None:
    outcome = judged(listed("failed", failed, "pay/a.spec.ts"), policy=Policy(quarantine=(entry,)))
    console_text = console.render(outcome)
    summary = markdown.render(outcome)
    warnings = [
        line for kind, line in annotations(outcome) if kind == "warning" and "title=Playwright gate warning" in line
    ]
    if flagged is None:
        assert "too broad" not in console_text + summary and not warnings
        return
    assert any(line.startswith(f"warning: {flagged}") for line in console_text.splitlines())
    assert any(line.startswith(f"- ⚠️ {md(flagged)}") for line in summary.splitlines())
    assert any(re.search(re.escape(command_data(flagged)), line) for line in warnings)


def test_validate_flags_an_entry_that_matches_every_test() -> None:
    policy = Policy(quarantine=(quarantine("*"), quarantine("checkout/*", index=1)))
    lines = [line.strip() for line in console.policy_lines(policy, in_force(policy, None, (), TODAY))]
    assert [line for line in lines if line.startswith("warning:")] == [
        "warning: quarantine[0] (spec '*') matches every test: it would let any broken run pass; "
        "narrow it to the spec file or the tests it is for"
    ]


def test_a_huge_run_with_quarantine_and_flaky_tests_failing_stays_within_every_budget() -> None:
    # Each list alone twice what the summary holds (every title listed cut, in more than 300 bytes).
    count = 2 * markdown.MAX_SUMMARY_BYTES // 300
    failed = [TestResult(f"pay/{i % 500}.spec.ts", "t" * 1000 + str(i), "failed", 1.0) for i in range(count)]
    flaky = [TestResult(f"s{i}.spec.ts", "f" * 1000 + str(i), "flaky", 1.0) for i in range(count)]
    outcome = judged(failed, flaky, policy=Policy(thresholds=Thresholds(flaky=0), quarantine=(quarantine("pay/*"),)))
    text = markdown.render(outcome)
    assert len(text.encode()) <= markdown.MAX_SUMMARY_BYTES
    assert f"### Flaky tests ({count:,})" in text and text.count("<details>") == text.count("</details>") == 1
    assert re.search(r"- …and [\d,]+ more quarantined tests\n\n</details>", text)
    shown = f"... and {count - console.MAX_LISTED:,} more quarantined tests (see the summary or the run)"
    assert shown in console.render(outcome)
    kinds = [kind for kind, _line in annotations(outcome)]
    assert all(kinds.count(kind) <= github.MAX_ANNOTATIONS for kind in set(kinds))


@pytest.mark.parametrize("text", ["x\n::error::pwned", "a\r::add-mask::b", "50% off, now: %0A::error::x", "\u2028::x"])
def test_a_hostile_quarantined_title_or_glob_stays_one_inert_line(text: str) -> None:
    entry = QuarantineEntry(0, "*", None, text, UNTIL, text)
    outcome = judged([TestResult(text, text, "failed", 1.0)], policy=Policy(quarantine=(entry,)))
    for line in [*github.annotation_lines(outcome), *console.render(outcome).splitlines()]:
        assert line.startswith(("::notice ", "::warning ")) or not line.lstrip().startswith("::"), line
        assert "\n" not in line and "\r" not in line and "\u2028" not in line
