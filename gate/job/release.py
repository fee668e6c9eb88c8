"""The passed tests that quarantine entries in force match, listed so that an entry may be found ready to release
(its tests passed here, and in every past run): asked for only with a history section, only when needed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gate.errors import ApiUnavailableError, UnusableAnswerError
from gate.evaluate import Listed
from gate.job.events import Listener, Noted
from gate.model import TestResult
from gate.policy import EntryMatcher, InForce, matches

ListPassed = Callable[[Callable[[TestResult], bool]], Mapping[str, Sequence[TestResult]]]


def passed_for_release(
    in_force: InForce, tests: Listed, listener: Listener, list_passed: ListPassed
) -> tuple[TestResult, ...] | None:
    """The tests of the passed pages (`list_passed`, keeping only the tests its filter keeps) that a quarantine
    entry in force matches, when some entry matched no failed, flaky, timed-out or interrupted test: it may be
    ready to release. None when none is asked for, or when they could not be listed (a note says so: a release
    is only a note, and never costs the verdict)."""
    taken = {entry.key_path for _test, entry in (*tests.quarantined_failed, *tests.quarantined_flaky)}
    stopped = (*tests.by_status.get("timed_out", ()), *tests.by_status.get("interrupted", ()))
    entries = [
        entry
        for entry in in_force.quarantine
        if entry.key_path not in taken and not any(matches(entry, test) for test in stopped)
    ]
    if not entries:
        return None
    try:
        matcher = EntryMatcher(entries)
        found = list_passed(lambda test: bool(matcher(test)))
    except (ApiUnavailableError, UnusableAnswerError) as error:
        why = "the API stayed unavailable" if isinstance(error, ApiUnavailableError) else "the answer could not be used"
        listener(Noted(f"quarantine release is not judged: the passed tests could not be listed ({why})"))
        return None
    return tuple(found.get("passed", ()))
