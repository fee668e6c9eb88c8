"""JUnit XML: a test case per gate check, then the run's failed and flaky tests, for other CIs' test views."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from gate.model import TestResult
from gate.outcome import Outcome
from gate.report.text import actual_text, check_reason, limit_text

# XML 1.0 forbids these characters outright, escaped or not.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_TEXT = 2000


def xml_text(text: str, limit: int = MAX_TEXT) -> str:
    """Untrusted text made legal in XML 1.0 (ElementTree escapes the rest) and bounded."""
    cleaned = _NOT_XML.sub("\ufffd", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _suite(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", name=name)


def _finish(suite: ET.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for case in cases if case.find("failure") is not None)
    errors = sum(1 for case in cases if case.find("error") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return len(cases), failures, errors


def _test_case(suite: ET.Element, test: TestResult, flaky: bool) -> None:
    case = ET.SubElement(suite, "testcase", classname=xml_text(test.spec, 500), name=xml_text(test.title, 1000))
    if test.duration is not None:
        case.set("time", f"{test.duration:.3f}")
    if flaky:
        ET.SubElement(case, "system-out").text = "flaky: failed first, passed on a retry"
    else:
        failure = ET.SubElement(case, "failure", message="failed in the NeetoPlaydash run", type="failed")
        failure.text = f"{xml_text(test.spec, 500)} › {xml_text(test.title, 1000)}"


def render(outcome: Outcome) -> str:
    """The whole JUnit document for this exit path; counts always match the test cases."""
    root = ET.Element("testsuites", name="playdash-gate")
    checks = _suite(root, "playdash-gate checks")
    if outcome.result is not None:
        for check in outcome.result.checks:
            case = ET.SubElement(checks, "testcase", classname="playdash-gate", name=check.name)
            case.set("time", "0")
            if not check.passed:
                failure = ET.SubElement(case, "failure", type=check.key, message=xml_text(check_reason(check), 500))
                failure.text = xml_text(f"actual {actual_text(check)}, limit {limit_text(check, ascii_only=True)}")
    else:
        case = ET.SubElement(checks, "testcase", classname="playdash-gate", name="verdict")
        ET.SubElement(
            case,
            "error",
            type=outcome.error_kind or "error",
            message=xml_text(outcome.message.splitlines()[0] if outcome.message else "no verdict", 500),
        ).text = xml_text(outcome.message)
    tests = _suite(root, "NeetoPlaydash run: failed and flaky tests")
    result = outcome.result
    for test in result.counting(outcome.failed_tests) if result else outcome.failed_tests:
        _test_case(tests, test, flaky=False)
    for test in result.counting(outcome.flaky_tests) if result else outcome.flaky_tests:
        _test_case(tests, test, flaky=True)
    for test, entry in result.quarantined if result else ():
        case = ET.SubElement(tests, "testcase", classname=xml_text(test.spec, 500), name=xml_text(test.title, 1000))
        ET.SubElement(case, "skipped", message=xml_text(f"quarantined ({test.status}): {entry.reason}", 500))
    totals = [_finish(checks), _finish(tests)]
    root.set("tests", str(sum(t[0] for t in totals)))
    root.set("failures", str(sum(t[1] for t in totals)))
    root.set("errors", str(sum(t[2] for t in totals)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
