"""JUnit XML: a test case per gate check, then the run's failed and flaky tests, for other CIs' test views.

Written as a stream of text (never a tree of 100,000 elements), escaped by gate/text.py.
"""

from __future__ import annotations

from collections.abc import Iterator

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


def chunks(outcome: Outcome) -> Iterator[str]:
    """The whole JUnit document for this exit path, in pieces; counts always match the test cases."""
    result = outcome.result
    flaky = outcome.flaky_tests
    forgiven = result.forgiven if result else ()
    # A forgiven failure is skipped (with its class and branch), never a failure of the report.
    failed = [test for test in outcome.failed_tests if not (result and result.is_forgiven(test))]
    quarantined = result.quarantined if result else ()
    # A newly flaky test is a failure when its check failed the gate (like a failed test that counts).
    failing_flaky = _failing_new_flaky(result)
    checks = _check_cases(outcome)
    check_failures = sum(1 for case in checks if "<failure" in case)
    check_errors = sum(1 for case in checks if "<error" in case)
    total = len(checks) + len(failed) + len(flaky) + len(quarantined) + len(forgiven)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        f'<testsuites name="playdash-gate" tests="{total}" '
        f'failures="{check_failures + len(failed) + len(failing_flaky)}" '
        f'errors="{check_errors}">\n'
    )
    yield _suite("playdash-gate checks", len(checks), check_failures, check_errors, 0)
    yield from checks
    yield "  </testsuite>\n"
    yield _suite(
        "NeetoPlaydash run: failed and flaky tests",
        len(failed) + len(flaky) + len(quarantined) + len(forgiven),
        len(failed) + len(failing_flaky),
        0,
        len(quarantined) + len(forgiven),
    )
    for test in failed:
        where = f"{test.spec} › {test.title}"
        yield _case(
            test.spec,
            test.title,
            f'<failure type="failed" message="failed in the NeetoPlaydash run">{xml_body(where)}</failure>',
            test.duration,
        )
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
    yield "  </testsuite>\n</testsuites>\n"


def _failing_new_flaky(result: Verdict | None) -> frozenset[int]:
    """The newly flaky tests (by identity) when the `new_flaky` check failed the gate; none otherwise."""
    if result is None or not any(check.key == "new_flaky" for check in result.failed_checks):
        return frozenset()
    return frozenset(map(id, result.new_flaky))
