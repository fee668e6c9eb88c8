"""Parsed YAML to a Policy: every key checked against the file's shape, every problem named by its key path."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, replace
from typing import Any, NamedTuple

from gate.config.history_section import (
    check_new_flaky,
    check_project_branches,
    check_rule_branches,
    history_keys,
    parse_history,
)
from gate.config.messages import MAX_NUMBER_CHARS, NumberText
from gate.config.problems import Problems, glob_value
from gate.config.shape import (
    BASELINE,
    FAIL_ON_SPELLINGS,
    FAILABLE_STATUSES,
    FILE,
    LIMITS,
    MAX_COUNT,
    MAX_ENTRIES,
    MAX_PROJECTS,
    MAX_TEXT,
    PROJECT,
    QUARANTINE_ENTRY,
    RULE,
    RULE_HISTORY,
    STATUS,
    TOP_KEYS,
    VERSION,
    WHEN,
)
from gate.config.types import Baseline, Policy, Project, QuarantineEntry, Rule, Thresholds
from gate.errors import ConfigError
from gate.ids import is_id
from gate.shape import Section
from gate.text import SHOWN_CHARS, shown

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
# A day, and optionally a time of it (the forms YAML 1.1 timestamps take); only the day is kept.
_DATE = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?:(?:[Tt]|[ \t]+)(?P<hour>\d\d?):(?P<minute>\d\d):(?P<second>\d\d)(?:\.\d*)?"
    r"(?:[ \t]*(?:Z|[-+]\d\d?(?::?\d\d)?))?)?$"
)


def _count(value: object, path: str, problems: Problems) -> int | None:
    if value is None:
        return None
    number = value
    if isinstance(number, float) and number.is_integer():
        number = int(number)  # 2.0 is a whole number, as JSON Schema's "integer" says too
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= MAX_COUNT:
        what = "0 or more" if isinstance(number, int) and not isinstance(number, bool) and number < 0 else None
        problems.add(
            path,
            f"must be {what}, not {shown(value)}"
            if what
            else f"must be a whole number from 0 to {MAX_COUNT:,} (or null for no limit), not {shown(value)}",
        )
        return None
    return number


def parse_rate(value: object) -> float | None:
    """`2%`, `"2%"` or `0.02` to 0.02; None when it is not a rate between 0 and 100%."""
    if isinstance(value, (bool, NumberText)):
        return None
    if isinstance(value, (int, float)):
        rate = float(value) if not isinstance(value, int) or abs(value) <= MAX_COUNT else math.inf
    elif isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS and (match := _PERCENT.match(value)):
        rate = float(match.group(1)) / 100
    else:
        return None
    return rate if 0.0 <= rate <= 1.0 else None


def _rate(value: object, path: str, problems: Problems) -> float | None:
    if value is None:
        return None
    rate = parse_rate(value)
    if rate is None:
        problems.add(path, f"must be a rate from 0% to 100%, written like 2% or 0.02, not {shown(value)}")
    return rate


# How a limit of each kind the shape gives `thresholds` is checked.
_LIMIT_CHECKS: dict[object, Callable[[object, str, Problems], int | float | None]] = {"count": _count, "rate": _rate}


def _limits(data: object, path: str, problems: Problems) -> dict[str, Any]:
    """A mapping of limits (the keys of `thresholds`), as far as it is given: for thresholds, warn, rules."""
    data = problems.section(data, path, LIMITS, "a mapping of limits")
    if data is None:
        return {}
    values: dict[str, Any] = {}
    for key, spec in LIMITS.keys.items():
        if key in data:
            values[key] = _LIMIT_CHECKS[spec.value](data[key], f"{path}.{key}", problems)
    if "min_tests" in values:
        values["min_tests"] = values["min_tests"] or 0  # null: no fewest number of tests
    return values


def _thresholds(data: object, problems: Problems) -> Thresholds:
    return replace(Thresholds(), **_limits(data, "thresholds", problems))


def _text(value: object, path: str, problems: Problems, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "is required: a non-empty text" if value is None else f"must be a text, not {shown(value)}")
        return None
    if len(value) > MAX_TEXT:
        problems.add(path, f"is {len(value):,} characters long; at most {MAX_TEXT:,}")
        return None
    return value


def _date(value: object, path: str, problems: Problems) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    example = "a date such as 2026-12-31 (the last day the entry applies)"
    if isinstance(value, str) and len(value) <= SHOWN_CHARS and (match := _DATE.match(value.strip())):
        parts = {name: int(part) for name, part in match.groupdict().items() if part is not None}
        try:
            day = datetime.date(parts["year"], parts["month"], parts["day"])
            datetime.time(parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0))
        except ValueError as exc:
            problems.add(path, f"{value.strip()} is not a date ({exc}); write {example}")
            return None
        return day
    problems.add(path, f"is required: {example}" if value is None else f"must be {example}, not {shown(value)}")
    return None


def _required(section: Section, key: str) -> bool:
    return section.keys[key].required


def _entries(data: object, path: str, problems: Problems) -> list[tuple[int, Mapping[str, Any]]]:
    if data is None:
        return []
    if not isinstance(data, list):
        problems.add(path, f"must be a list, not {type(data).__name__}")
        return []
    if len(data) > MAX_ENTRIES:
        problems.add(path, f"has {len(data):,} entries; at most {MAX_ENTRIES:,}")
    entries = []
    for index, entry in enumerate(data[:MAX_ENTRIES]):
        if not isinstance(entry, Mapping):
            problems.add(f"{path}[{index}]", f"must be a mapping, not {type(entry).__name__}")
        else:
            entries.append((index, entry))
    return entries


def _quarantine(data: object, problems: Problems, section: str = "quarantine") -> tuple[QuarantineEntry, ...]:
    result = []
    for index, entry in _entries(data, section, problems):
        where = f"{section}[{index}]"
        problems.unknown_keys(entry, QUARANTINE_ENTRY, f"{where}.")
        spec, test = (
            glob_value(entry.get("spec"), f"{where}.spec", problems),
            glob_value(entry.get("test"), f"{where}.test", problems),
        )
        if not any(key in entry for key in QUARANTINE_ENTRY.one_of):
            problems.add(where, "needs `spec`, `test` or both: the glob(s) naming the quarantined tests")
        reason = _text(entry.get("reason"), f"{where}.reason", problems, required=_required(QUARANTINE_ENTRY, "reason"))
        owner = _text(entry.get("owner"), f"{where}.owner", problems, required=_required(QUARANTINE_ENTRY, "owner"))
        until = _date(entry.get("until"), f"{where}.until", problems)
        if (spec or test) and reason and until:
            result.append(QuarantineEntry(index, spec, test, reason, until, owner, section))
    return tuple(result)


class _When(NamedTuple):
    branch: str | None = None
    tags: tuple[str, ...] = ()
    target_branch: str | None = None


def _when(when: object, where: str, problems: Problems) -> _When:
    """A rule's `when`: a branch glob, tags and a target branch glob, any of them; a typo inside it is named."""
    needs = "a mapping with `branch` (a glob), `tags` (a list), `target_branch` (a glob), or several"
    if when is None:
        problems.add(where, f"is required: {needs}")
        return _When()
    if not isinstance(when, Mapping):
        problems.add(where, f"must be {needs}, not {shown(when)}")
        return _When()
    known = WHEN.names
    problems.unknown_keys(when, WHEN, f"{where}.")
    if not set(WHEN.one_of) & set(when) and all(key in known for key in when):
        problems.add(where, f"is empty: give {needs}")  # a typo is already named as one above
    branch = glob_value(when.get("branch"), f"{where}.branch", problems)
    target = glob_value(when.get("target_branch"), f"{where}.target_branch", problems)
    raw_tags = when.get("tags", [])
    if not isinstance(raw_tags, list) or not all(
        isinstance(tag, str) and tag.strip() and len(tag) <= MAX_TEXT for tag in raw_tags
    ):
        problems.add(f"{where}.tags", f"must be a list of tags such as [nightly], not {shown(raw_tags)}")
        return _When(branch, (), target)
    return _When(branch, tuple(raw_tags), target)


def _rules(data: object, problems: Problems, section: str = "rules") -> tuple[Rule, ...]:
    result = []
    for index, entry in _entries(data, section, problems):
        where = f"{section}[{index}]"
        problems.unknown_keys(entry, RULE, f"{where}.")
        when = _when(entry.get("when"), f"{where}.when", problems)
        thresholds = _limits(entry.get("thresholds"), f"{where}.thresholds", problems)
        warn = _limits(entry.get("warn"), f"{where}.warn", problems)
        fail_on = _fail_on(entry["status"], problems, f"{where}.status") if "status" in entry else None
        history = history_keys(entry.get("history"), f"{where}.history", problems, RULE_HISTORY) or {}
        result.append(
            Rule(index, when.branch, when.tags, thresholds, warn, fail_on, history, when.target_branch, section)
        )
    return tuple(result)


def _baseline(data: object, problems: Problems, path: str = "baseline") -> Baseline | None:
    data = problems.section(data, path, BASELINE, "a mapping with `branch`")
    if data is None:
        return None
    branch = _text(data.get("branch"), f"{path}.branch", problems, required=_required(BASELINE, "branch"))
    new_failures = _count(data.get("new_failures", 0), f"{path}.new_failures", problems)
    return Baseline(branch, 0 if new_failures is None else new_failures) if branch else None


def _fail_on(data: object, problems: Problems, path: str = "status") -> tuple[str, ...]:
    default = Policy().fail_on
    data = problems.section(data, path, STATUS, "a mapping (with `fail_on`)")
    if data is None or "fail_on" not in data:
        return default
    statuses = data["fail_on"]
    if statuses is None:
        return ()
    if not isinstance(statuses, list):
        problems.add(f"{path}.fail_on", f"must be a list of run statuses, not {shown(statuses)}")
        return default
    chosen: list[str] = []
    for index, status in enumerate(statuses):
        name = FAIL_ON_SPELLINGS.get(status) if isinstance(status, str) else None
        if name is None:
            problems.add(
                f"{path}.fail_on[{index}]", f"must be one of {', '.join(FAILABLE_STATUSES)}, not {shown(status)}"
            )
        elif name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def policy_problems(data: object) -> tuple[Policy | None, list[str]]:
    """Check parsed YAML: the Policy it gives (when it has no problem) and the problems found (a bounded list)."""
    problems = Problems()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return None, [f"the file must hold a mapping (thresholds:, status:, ...), not {type(data).__name__}"]
    problems.unknown_keys(data, FILE, "")
    version = data.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        problems.add("version", f"must be {VERSION} (the only version this gate reads), not {shown(version)}")
    fail_fast = data.get("fail_fast", False)
    if not isinstance(fail_fast, bool):
        problems.add("fail_fast", f"must be true or false, not {shown(fail_fast)}")
    policy = Policy(
        thresholds=_thresholds(data.get("thresholds"), problems),
        fail_on=_fail_on(data.get("status"), problems),
        warn=_limits(data.get("warn"), "warn", problems),
        quarantine=_quarantine(data.get("quarantine"), problems),
        rules=_rules(data.get("rules"), problems),
        baseline=_baseline(data.get("baseline"), problems),
        fail_fast=fail_fast is True,
        history=parse_history(data.get("history"), problems),
        projects=_projects(data.get("projects"), problems),
    )
    if "history" not in data or data["history"] is None:
        check_rule_branches(data.get("rules"), None, problems)
        for project_id, project in policy.projects.items():
            check_project_branches(project, data["projects"][project_id], problems)
    _check_new_flaky(policy, problems)
    return (None if problems.count else policy), problems.listed()


def _check_new_flaky(policy: Policy, problems: Problems) -> None:
    """Each `new_flaky` limit needs a history section wherever it applies: the top level's, or its own rule's."""
    top = policy.history is not None
    check_new_flaky(asdict(policy.thresholds), "thresholds", top, problems)
    check_new_flaky(policy.warn, "warn", top, problems)
    _check_rules_new_flaky(policy.rules, top, problems)
    for project_id, project in policy.projects.items():
        # A project's runs have its `history` keys merged over the top level's: either one gives a section.
        own = top or bool(project.history)
        check_new_flaky(project.thresholds, f"projects.{project_id}.thresholds", own, problems)
        _check_rules_new_flaky(project.rules, own, problems)


def _check_rules_new_flaky(rules: Iterable[Rule], has_history: bool, problems: Problems) -> None:
    """A rule's `new_flaky` needs a history section: the one around it, or the rule's own."""
    for rule in rules:
        where, history = f"{rule.section}[{rule.index}]", has_history or bool(rule.history)
        check_new_flaky(rule.thresholds, f"{where}.thresholds", history, problems)
        check_new_flaky(rule.warn, f"{where}.warn", history, problems)


def _projects(data: object, problems: Problems) -> dict[str, Project]:
    """`projects:`, each project's own policy by its id: the keys of the top-level sections it gives, checked as
    they are at the top level (a rule's `history` needs no branch of its own)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.add("projects", f"must be a mapping of project ids (e.g. pdqmxlz:) to their policy, not {shown(data)}")
        return {}
    if len(data) > MAX_PROJECTS:
        problems.add("projects", f"names {len(data):,} projects; at most {MAX_PROJECTS:,}")
    found = {}
    for project_id, entry in list(data.items())[:MAX_PROJECTS]:
        if not is_id(project_id):
            problems.add(
                "projects", f"{shown(project_id)} is not a project id: letters, digits, '-' or '_' (e.g. pdqmxlz)"
            )
            continue
        where = f"projects.{project_id}"
        section = problems.section(entry, where, PROJECT, "a mapping of the project's own policy (name, thresholds, …)")
        if section is None:
            found[project_id] = Project(project_id)
            continue
        found[project_id] = Project(
            project_id,
            name=_text(section.get("name"), f"{where}.name", problems, required=False),
            thresholds=_limits(section.get("thresholds"), f"{where}.thresholds", problems),
            fail_on=_fail_on(section["status"], problems, f"{where}.status") if "status" in section else None,
            rules=_rules(section.get("rules"), problems, f"{where}.rules"),
            quarantine=_quarantine(section.get("quarantine"), problems, f"{where}.quarantine"),
            history=history_keys(section.get("history"), f"{where}.history", problems, RULE_HISTORY) or {},
            baseline=_baseline(section.get("baseline"), problems, f"{where}.baseline"),
        )
    return found


# Keys of CI pipeline files, none of them a gate config's (YAML reads a workflow's `on:` as the key True).
_PIPELINE_KEYS = frozenset({"on", "jobs", "steps", "runs-on", "stages", "script", "workflows", "pipeline", "pipelines"})
EMPTY = "empty: the built-in defaults apply"


def _looks_like_a_pipeline(data: object) -> bool:
    """A mapping with a pipeline's keys and none of the gate's (but `version`, which both have)."""
    if not isinstance(data, Mapping):
        return False
    pipeline = any(key is True or (isinstance(key, str) and key in _PIPELINE_KEYS) for key in data)
    return pipeline and not any(isinstance(key, str) and key in TOP_KEYS and key != "version" for key in data)


def parse_policy(data: object, source: str) -> Policy:
    """Parsed YAML to a Policy, or a ConfigError listing its problems (the first MAX_PROBLEMS, then how many more).

    An empty file (or one of comments only) gives the built-in defaults, and its source says so.
    """
    if _looks_like_a_pipeline(data):
        raise ConfigError(
            source,
            [
                "this looks like a CI workflow or pipeline file (it has keys such as `on:` or `jobs:`), not a "
                "playdash-gate config: give --config (or `validate`) the thresholds file, such as .playdash-gate.yml"
            ],
        )
    policy, problems = policy_problems(data)
    if policy is None:
        raise ConfigError(source, problems)
    empty = data is None or (isinstance(data, Mapping) and not data)
    return replace(policy, source=f"{source} ({EMPTY})" if empty else source)
