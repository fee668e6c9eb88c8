"""The run and its tests, parsed from the API's JSON: tolerant of extra fields, strict on what decides."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gate.errors import UnusableAnswerError
from gate.ids import is_id
from gate.text import shown

FINAL_STATUSES = frozenset({"passed", "failed", "timed_out", "interrupted"})
IN_PROGRESS_STATUSES = frozenset({"running", "passing", "failing"})
TEST_STATUSES = ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")
# The most any count in an answer may be: a billion tests, shards or pages is no real run, and a bound
# keeps arithmetic and text conversion (Python refuses ints of more than 4,300 digits) safe.
MAX_COUNT = 1_000_000_000
# The longest duration believed (ten years, in seconds); beyond it a duration is unknown.
MAX_DURATION = 10 * 365.25 * 24 * 3600

_SEPARATORS = re.compile(r"[\s_\-]+")
_SURROGATES = re.compile("[\ud800-\udfff]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Squashed spellings of the names we know, to their one canonical form.
_KNOWN = {name.replace("_", ""): name for name in (*TEST_STATUSES, *IN_PROGRESS_STATUSES)}
# A statistic named only with these words (`Total`, `All`, `Total tests`, `Number of tests`) is a total,
# not one more status: adding it up with the statuses would count every test twice.
_TOTAL_WORDS = frozenset({"total", "all", "overall", "sum"})
_FILLER_WORDS = frozenset({"test", "tests", "count", "counts", "number", "num", "of", "the", "in", "run", "results"})


def normalise_name(name: str) -> str:
    """`Timed out`, `timedOut`, `timed_out` and `TIMED-OUT` all become `timed_out`."""
    squashed = _SEPARATORS.sub("", name).lower()
    if squashed in _KNOWN:
        return _KNOWN[squashed]
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", name.strip())).lower()
    return snake.strip("_") or "unnamed"


def is_total_name(name: str) -> bool:
    """True for a statistic name that counts every test (`Total`, `all_tests`), not one status."""
    words = set(normalise_name(name).split("_"))
    return bool(words - _FILLER_WORDS <= _TOTAL_WORDS) and bool(words & (_TOTAL_WORDS | {"test", "tests"}))


def clean_text(value: str) -> str:
    """Replace lone surrogates (invalid Unicode that JSON can carry) so every sink can encode the text."""
    # An ASCII text holds no surrogate, and `isascii` is known without reading the text: most titles.
    return value if value.isascii() else _SURROGATES.sub("\ufffd", value)


class _Test(NamedTuple):
    spec: str
    title: str
    status: str
    duration: float | None
    test_id: str | None = None
    # Its spec's id (the API's own, else None): a test id that is also a spec's names two things. The one
    # string of its spec, shared by its tests; not part of what makes two results equal.
    spec_id: str | None = None


class TestResult(_Test):
    """One test of the run, as the report lists it: immutable, and built as a tuple is (a large run builds a
    hundred thousand of them; a frozen dataclass took three times as long to build)."""

    __slots__ = ()
    __test__ = False  # not a pytest test class, whatever its name says

    # Equal as results, whatever their spec's id, and never equal to a plain tuple of the same values.
    def __eq__(self, other: object) -> bool:
        return type(other) is TestResult and self[:5] == other[:5]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self[:5])

    # Not ordered, as the dataclass was not: a tuple's order would disagree with the equality above.
    def __lt__(self, other: object) -> bool:
        raise TypeError("test results are not ordered; sort them by a key")

    __le__ = __gt__ = __ge__ = __lt__


_new_test = tuple.__new__


@dataclass(frozen=True)
class Run:
    """A run's state: what decides the verdict and what describes the run to a reader."""

    project_id: str
    run_id: str
    status: str
    is_running: bool
    statistics: Mapping[str, int]
    commit_id: str | None = None
    commit_name: str | None = None
    branch: str | None = None
    author: str | None = None
    ci_build_id: str | None = None
    created_at: str | None = None
    duration: float | None = None
    total_shards: int | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        """Every test counted, whatever its status: the statuses added up, or a `Total` statistic if larger."""
        statuses = sum(value for name, value in self.statistics.items() if not is_total_name(name))
        return max([statuses, *(value for name, value in self.statistics.items() if is_total_name(name))])

    def count(self, status: str) -> int:
        """How many tests the statistics give for a normalised status name (0 when absent)."""
        return self.statistics.get(status, 0)


@dataclass(frozen=True)
class Page:
    """One page of specs from a Get run answer: its tests, and where it stands in the pagination."""

    tests: tuple[TestResult, ...]
    # The API's spec ids; a spec without a usable one gets `#page/index`, which no real id can equal.
    spec_ids: tuple[str, ...]
    page_number: int
    total_pages: int


def _fail(what: str) -> UnusableAnswerError:
    return UnusableAnswerError(
        f"the API's answer cannot be used: {what}. The gate does not guess a verdict from it; "
        "retry later, and report it to NeetoPlaydash if it persists"
    )


def _mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(f"{what} is {type(data).__name__}, not an object")
    return data


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: object, what: str) -> int:
    """A count that decides: a whole number from 0 to MAX_COUNT, else the answer is unusable."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise _fail(f"{what} is {shown(value)}, not a whole number from 0 to {MAX_COUNT:,}")
    return value


def _descriptive_count(value: object, what: str) -> int | None:
    """A count that only describes (`total_shards`): absent or not a number is unknown, but a number that
    is no sane count (3.5, 3.0, NaN, -1, 10**30) means the answer is broken, and is unusable."""
    if not _is_number(value):
        return None
    return _count(value, what)


def _text(value: object) -> str | None:
    """A descriptive field: tolerated in any scalar shape, since it never decides the verdict."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return None  # str() of a huge int raises past 4,300 digits, and no name is such a number
    return clean_text(str(value))


def _identifier(value: object) -> str | None:
    """An id as the API writes them (`wbnxtyz`); anything else is no id at all.

    Ids hold no `#` or `/`, so the fallback id of a spec without one (`#page/index`) never equals a real id.
    """
    return value if isinstance(value, str) and is_id(value) else None


def _duration(value: object) -> float | None:
    """Seconds, when believable: NaN, infinities, negatives and more than ten years are unknown (None)."""
    if type(value) is float:  # the common case, decided at once (NaN compares false)
        return value + 0.0 if 0 <= value <= MAX_DURATION else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # Compared before converting: float() of a huge int raises OverflowError; NaN compares false.
    if not 0 <= value <= MAX_DURATION:
        return None
    return float(value) + 0.0  # -0.0 + 0.0 is 0.0: no "-0.0 s" in a report


def parse_statistics(data: object) -> dict[str, int]:
    """`run_statistics` ([{name, value}]) to normalised names and counts; duplicates are added up."""
    if not isinstance(data, list):
        raise _fail(f"`run_statistics` is {type(data).__name__}, not a list")
    counts: dict[str, int] = {}
    for index, item in enumerate(data):
        entry = _mapping(item, f"`run_statistics[{index}]`")
        name = entry.get("name")
        if not isinstance(name, str):
            raise _fail(f"`run_statistics[{index}].name` is {shown(name)}, not a string")
        key = normalise_name(clean_text(name))
        value = counts.get(key, 0) + _count(entry.get("value"), f"`run_statistics[{index}].value`")
        if value > MAX_COUNT:
            raise _fail(f"`run_statistics` gives more than {MAX_COUNT:,} tests {key}")
        counts[key] = value
    return counts


def parse_run(data: object) -> Run:
    """A Get run answer to a Run; raises UnusableAnswerError when a field that decides is missing or wrong."""
    body = _mapping(data, "the answer")
    if "is_running" not in body:
        raise _fail("it has no `is_running` field")
    is_running = body["is_running"]
    if not isinstance(is_running, bool):
        raise _fail(f"`is_running` is {shown(is_running)}, not true or false")
    if "run_statistics" not in body:
        raise _fail("it has no `run_statistics` field")
    statistics = parse_statistics(body["run_statistics"])
    status = body.get("status")
    if not isinstance(status, str) or not status.strip():
        raise _fail(f"`status` is {shown(status)}, not a run status")
    tags = body.get("tags")
    return Run(
        project_id=_text(body.get("project_id")) or "",
        run_id=_text(body.get("run_id")) or "",
        status=normalise_name(clean_text(status)),
        is_running=is_running,
        statistics=statistics,
        commit_id=_text(body.get("commit_id")),
        commit_name=_text(body.get("commit_name")),
        branch=_text(body.get("branch")),
        author=_text(body.get("author")),
        ci_build_id=_text(body.get("ci_build_id")),
        created_at=_text(body.get("created_at")),
        duration=_duration(body.get("duration")),
        total_shards=_descriptive_count(body.get("total_shards"), "`total_shards`"),
        tags=tuple(t for t in (_text(tag) for tag in tags) if t) if isinstance(tags, list) else (),
    )


def _tests(spec: Mapping[str, Any], where: str, spec_id: str | None, statuses: dict[str, str]) -> list[TestResult]:
    """The tests of one spec; `statuses` holds each status as written, normalised and interned (a page
    spells a handful of statuses over and over)."""
    file_name = spec.get("file_name")
    if not isinstance(file_name, str):
        raise _fail(f"`{where}.file_name` is {shown(file_name)}, not a string")
    tests = spec.get("tests")
    if not isinstance(tests, list):
        raise _fail(f"`{where}.tests` is {type(tests).__name__}, not a list")
    # One string per spec and per status, shared by all their tests: large runs stay small in memory.
    spec_name = sys.intern(clean_text(file_name))
    found = []
    for index, item in enumerate(tests):
        # JSON's objects are dicts: the check against Mapping (an abstract class, slow) only for anything else.
        test = item if type(item) is dict else _mapping(item, f"`{where}.tests[{index}]`")
        title, status = test.get("title"), test.get("status")
        if not isinstance(title, str) or not isinstance(status, str):
            raise _fail(f"`{where}.tests[{index}]` has no string `title` and `status`")
        name = statuses.get(status)
        if name is None:
            name = statuses[status] = sys.intern(normalise_name(clean_text(status)))
        duration = test.get("duration")
        if type(duration) is float and 0 <= duration <= MAX_DURATION:
            duration += 0.0  # as `_duration` gives it (no -0.0), without a call per test
        else:
            duration = _duration(duration)
        # Built as the tuple it is: six values in the order of the fields (TestResult's own __new__ is Python).
        fields = (spec_name, clean_text(title), name, duration, _identifier(test.get("test_id")), spec_id)
        found.append(_new_test(TestResult, fields))
    return found


def parse_page(data: object, requested_page: int) -> Page:
    """The specs and pagination of one Get run page; the page must be the one asked for."""
    body = _mapping(data, "the answer")
    specs = body.get("specs", [])
    if not isinstance(specs, list):
        raise _fail(f"`specs` is {type(specs).__name__}, not a list")
    tests: list[TestResult] = []
    spec_ids: list[str] = []
    statuses: dict[str, str] = {}
    for index, item in enumerate(specs):
        spec = _mapping(item, f"`specs[{index}]`")
        spec_id = _identifier(spec.get("spec_id"))
        spec_ids.append(spec_id or f"#{requested_page}/{index}")
        tests += _tests(spec, f"specs[{index}]", spec_id, statuses)
    pagination = body.get("pagination")
    if pagination is None:
        # No pagination object: the answer holds every spec there is.
        return Page(tuple(tests), tuple(spec_ids), requested_page, requested_page)
    paging = _mapping(pagination, "`pagination`")
    total_pages = _count(paging.get("total_pages"), "`pagination.total_pages`")
    for key in ("total_records", "page_size"):
        _descriptive_count(paging.get(key), f"`pagination.{key}`")
    current = _count(paging.get("current_page_number", requested_page), "`pagination.current_page_number`")
    if current != requested_page:
        raise _fail(f"page {requested_page} was asked for but page {current} came back")
    return Page(tuple(tests), tuple(spec_ids), current, total_pages)


def parse_run_list(data: object, requested_page: int) -> tuple[list[Mapping[str, Any]], int]:
    """One page of List runs as (runs, total_pages); the page must be the one asked for.

    The one place that holds what is *assumed* of List runs, since its body is not published:
    `{"runs": [<run objects like Get run's, without specs>], "pagination": {..., "total_pages"}}`,
    newest first. An answer of another shape is refused, never guessed at.
    """
    runs = data.get("runs") if isinstance(data, Mapping) else None
    if not isinstance(runs, list) or not all(isinstance(run, Mapping) for run in runs):
        raise UnusableAnswerError(
            "the List runs answer has no `runs` list of objects; the gate cannot find the run by its build id "
            "(name it with --run-id or --run-url instead)"
        )
    assert isinstance(data, Mapping)
    pagination = data.get("pagination")
    paging = pagination if isinstance(pagination, Mapping) else {}
    # The page is asked for as `page` and as `page_number` (the API documents both spellings); a server that
    # reads neither sends page 1 again, which must not pass for the page asked for.
    current = paging.get("current_page_number", requested_page)
    if not isinstance(current, int) or isinstance(current, bool) or current != requested_page:
        raise _fail(
            f"List runs was asked for page {requested_page} but `pagination.current_page_number` is {shown(current)}"
        )
    total = paging.get("total_pages")
    total_pages = total if isinstance(total, int) and not isinstance(total, bool) and total >= 1 else requested_page
    return runs, total_pages
