"""The run and its tests, parsed from the API's JSON: tolerant of extra fields, strict on what decides."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gate.errors import UnusableAnswerError

FINAL_STATUSES = frozenset({"passed", "failed", "timed_out", "interrupted"})
IN_PROGRESS_STATUSES = frozenset({"running", "passing", "failing"})
TEST_STATUSES = ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")

_SEPARATORS = re.compile(r"[\s_\-]+")
_SURROGATES = re.compile("[\ud800-\udfff]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Squashed spellings of the names we know, to their one canonical form.
_KNOWN = {name.replace("_", ""): name for name in (*TEST_STATUSES, *IN_PROGRESS_STATUSES)}


def normalise_name(name: str) -> str:
    """`Timed out`, `timedOut`, `timed_out` and `TIMED-OUT` all become `timed_out`."""
    squashed = _SEPARATORS.sub("", name).lower()
    if squashed in _KNOWN:
        return _KNOWN[squashed]
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", name.strip())).lower()
    return snake.strip("_") or "unnamed"


def clean_text(value: str) -> str:
    """Replace lone surrogates (invalid Unicode that JSON can carry) so every sink can encode the text."""
    return _SURROGATES.sub("\ufffd", value)


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test of the run, as the report lists it."""

    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name says

    spec: str
    title: str
    status: str
    duration: float | None


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
        """Every test counted, whatever its status."""
        return sum(self.statistics.values())

    def count(self, status: str) -> int:
        """How many tests the statistics give for a normalised status name (0 when absent)."""
        return self.statistics.get(status, 0)


@dataclass(frozen=True)
class Page:
    """One page of specs from a Get run answer: its tests, and where it stands in the pagination."""

    tests: tuple[TestResult, ...]
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


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(f"{what} is {value!r}, not a whole number of 0 or more")
    return value


def _text(value: object) -> str | None:
    """A descriptive field: tolerated in any scalar shape, since it never decides the verdict."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return clean_text(str(value))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_statistics(data: object) -> dict[str, int]:
    """`run_statistics` ([{name, value}]) to normalised names and counts; duplicates are added up."""
    if not isinstance(data, list):
        raise _fail(f"`run_statistics` is {type(data).__name__}, not a list")
    counts: dict[str, int] = {}
    for index, item in enumerate(data):
        entry = _mapping(item, f"`run_statistics[{index}]`")
        name = entry.get("name")
        if not isinstance(name, str):
            raise _fail(f"`run_statistics[{index}].name` is {name!r}, not a string")
        key = normalise_name(clean_text(name))
        counts[key] = counts.get(key, 0) + _count(entry.get("value"), f"`run_statistics[{index}].value`")
    return counts


def parse_run(data: object) -> Run:
    """A Get run answer to a Run; raises UnusableAnswerError when a field that decides is missing or wrong."""
    body = _mapping(data, "the answer")
    if "is_running" not in body:
        raise _fail("it has no `is_running` field")
    is_running = body["is_running"]
    if not isinstance(is_running, bool):
        raise _fail(f"`is_running` is {is_running!r}, not true or false")
    if "run_statistics" not in body:
        raise _fail("it has no `run_statistics` field")
    statistics = parse_statistics(body["run_statistics"])
    status = body.get("status")
    if not isinstance(status, str) or not status.strip():
        raise _fail(f"`status` is {status!r}, not a run status")
    tags = body.get("tags")
    shards = body.get("total_shards")
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
        duration=_number(body.get("duration")),
        total_shards=shards if isinstance(shards, int) and not isinstance(shards, bool) else None,
        tags=tuple(t for t in (_text(tag) for tag in tags) if t) if isinstance(tags, list) else (),
    )


def _tests(spec: Mapping[str, Any], where: str) -> Iterator[TestResult]:
    file_name = spec.get("file_name")
    if not isinstance(file_name, str):
        raise _fail(f"`{where}.file_name` is {file_name!r}, not a string")
    tests = spec.get("tests")
    if not isinstance(tests, list):
        raise _fail(f"`{where}.tests` is {type(tests).__name__}, not a list")
    # One string per spec and per status, shared by all their tests: large runs stay small in memory.
    spec_name = sys.intern(clean_text(file_name))
    for index, item in enumerate(tests):
        test = _mapping(item, f"`{where}.tests[{index}]`")
        title, status = test.get("title"), test.get("status")
        if not isinstance(title, str) or not isinstance(status, str):
            raise _fail(f"`{where}.tests[{index}]` has no string `title` and `status`")
        yield TestResult(
            spec=spec_name,
            title=clean_text(title),
            status=sys.intern(normalise_name(clean_text(status))),
            duration=_number(test.get("duration")),
        )


def parse_page(data: object, requested_page: int) -> Page:
    """The specs and pagination of one Get run page; the page must be the one asked for."""
    body = _mapping(data, "the answer")
    specs = body.get("specs", [])
    if not isinstance(specs, list):
        raise _fail(f"`specs` is {type(specs).__name__}, not a list")
    tests: list[TestResult] = []
    spec_ids: list[str] = []
    for index, item in enumerate(specs):
        spec = _mapping(item, f"`specs[{index}]`")
        spec_ids.append(str(spec.get("spec_id", f"{requested_page}:{index}")))
        tests.extend(_tests(spec, f"specs[{index}]"))
    pagination = body.get("pagination")
    if pagination is None:
        # No pagination object: the answer holds every spec there is.
        return Page(tuple(tests), tuple(spec_ids), requested_page, requested_page)
    paging = _mapping(pagination, "`pagination`")
    total_pages = _count(paging.get("total_pages"), "`pagination.total_pages`")
    current = _count(paging.get("current_page_number", requested_page), "`pagination.current_page_number`")
    if current != requested_page:
        raise _fail(f"page {requested_page} was asked for but page {current} came back")
    return Page(tuple(tests), tuple(spec_ids), current, total_pages)
