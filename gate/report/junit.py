"""JUnit XML: a test case per gate check, then the run's failed and flaky tests, for other CIs' test views.

Written as a stream of text (never a tree of 100,000 elements), escaped by gate/text.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from gate.evaluate import Verdict
from gate.outcome import Outcome
from gate.report.text import actual_text, check_reason, history_words, limit_text
from gate.text import xml_attribute, xml_body


def _case(classname: str, name: str, inner: str = "", time: float | None = None) -> str:
    timing = f' time="{time:.3f}"' if time is not None else ""
    head = f"    <testcase classname={xml_attribute(classname, 500)} name={xml_attribute(name)}{timing}"
    return f"{head}>\n      {inner}\n    </testcase>\n" if inner else f"{head}/>\n"


def _check_cases(outcome: Outcome) -> list[str]:
    if outcome.result is None:
        first = outcome.message.splitlines()[0] if outcome.message else "no verdict"
        error = (
            f"<error type={xml_attribute(outcome.error_kind or 'error', 50)} message={xml_attribute(first, 500)}>"
            f"{xml_body(outcome.message)}</error>"
        )
        return [_case("playdash-gate", "verdict", error)]
    cases = []
    for check in outcome.result.checks:
        inner = (
            ""
            if check.passed
            else (
                f"<failure type={xml_attribute(check.key, 50)} message={xml_attribute(check_reason(check), 500)}>"
                f"{xml_body(f'actual {actual_text(check)}, limit {limit_text(check, ascii_only=True)}')}</failure>"
            )
        )
        cases.append(_case("playdash-gate", check.name, inner, 0.0))
    return cases


def _suite(name: str, tests: int, failures: int, errors: int, skipped: int) -> str:
    return (
        f'  <testsuite name={xml_attribute(name)} tests="{tests}" failures="{failures}" errors="{errors}" '
        f'skipped="{skipped}">\n'
    )


class _Run(NamedTuple):
    """A run's test cases as JUnit counts them: the check cases, and its tests' counts (failed, flaky, skipped)."""

    checks: list[str]
    check_failures: int
    check_errors: int
    failed: int
    flaky: int
    skipped: int

    @property
    def tests(self) -> int:
        return self.failed + self.flaky + self.skipped


def _counted(outcome: Outcome) -> _Run:
    result = outcome.result
    checks = _check_cases(outcome)
    forgiven = len(result.forgiven) if result else 0
    # A newly flaky test is a failure when its check failed the gate (like a failed test that counts).
    failed = sum(1 for test in outcome.failed_tests if not (result and result.is_forgiven(test)))
    failed += len(_failing_new_flaky(result))
    quarantined = len(result.quarantined) if result else 0
    return _Run(
        checks,
        sum(1 for case in checks if "<failure" in case),
        sum(1 for case in checks if "<error" in case),
        failed,
        len(outcome.flaky_tests),
        quarantined + forgiven,
    )


def chunks(outcome: Outcome) -> Iterator[str]:
    """The whole JUnit document for this exit path, in pieces; counts always match the test cases. With several
    runs, one test suite for each run, named by its label: its checks, then its tests."""
    runs = outcome.runs if outcome.several else (outcome,)
    counted = [_counted(run) for run in runs]
    total = sum(len(run.checks) + run.tests for run in counted)
    failures = sum(run.check_failures + run.failed for run in counted)
    errors = sum(run.check_errors for run in counted)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<testsuites name="playdash-gate" tests="{total}" failures="{failures}" errors="{errors}">\n'
    if not outcome.several:
        (run,) = counted
        yield _suite("playdash-gate checks", len(run.checks), run.check_failures, run.check_errors, 0)
        yield from run.checks
        yield "  </testsuite>\n"
        yield _suite("NeetoPlaydash run: failed and flaky tests", run.tests, run.failed, 0, run.skipped)
        yield from _test_cases(outcome)
        yield "  </testsuite>\n</testsuites>\n"
        return
    for one, run in zip(runs, counted, strict=True):
        tests, failed = len(run.checks) + run.tests, run.check_failures + run.failed
        yield _suite(one.label or "?", tests, failed, run.check_errors, run.skipped)
        yield from run.checks
        yield from _test_cases(one)
        yield "  </testsuite>\n"
    yield "</testsuites>\n"


def _test_cases(outcome: Outcome) -> Iterator[str]:
    """The run's failed, flaky, quarantined and forgiven tests, a test case each."""
    result = outcome.result
    flaky = outcome.flaky_tests
    forgiven = result.forgiven if result else ()
    # A forgiven failure is skipped (with its class and branch), never a failure of the report.
    failed = [test for test in outcome.failed_tests if not (result and result.is_forgiven(test))]
    quarantined = result.quarantined if result else ()
    for test in failed:
        where = f"{test.spec} › {test.title}"
        yield _case(
            test.spec,
            test.title,
            f'<failure type="failed" message="failed in the NeetoPlaydash run">{xml_body(where)}</failure>',
            test.duration,
        )
    failing_flaky = _failing_new_flaky(result)
    for test in flaky:
        if id(test) in failing_flaky:
            words = history_words(result, test) if result else None
            message = f"newly flaky: failed first, passed on a retry; its history: {words}"
            body = f'<failure type="flaky" message={xml_attribute(message, 500)}>{xml_body(test.title)}</failure>'
        else:
            body = "<system-out>flaky: failed first, passed on a retry</system-out>"
        yield _case(test.spec, test.title, body, test.duration)
    for test, entry in quarantined:
        yield _case(
            test.spec,
            test.title,
            f"<skipped message={xml_attribute(f'quarantined ({test.status}): {entry.reason}', 500)}/>",
            test.duration,
        )
    for test in forgiven:
        words = history_words(result, test) if result else None
        branch = result.history.branch if result and result.history else "?"
        message = f"forgiven ({test.status}): {words or 'known on ' + branch}; history.branch {branch}"
        yield _case(test.spec, test.title, f"<skipped message={xml_attribute(message, 500)}/>", test.duration)


def _failing_new_flaky(result: Verdict | None) -> frozenset[int]:
    """The newly flaky tests (by identity) when the `new_flaky` check failed the gate; none otherwise."""
    if result is None or not any(check.key == "new_flaky" for check in result.failed_checks):
        return frozenset()
    return frozenset(map(id, result.new_flaky))
