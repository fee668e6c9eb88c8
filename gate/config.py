"""The thresholds file (YAML, version 1) to a Policy; strict, and every problem is named by its key path."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate.errors import ConfigError

BUILT_IN = "built-in defaults"
COUNT_KEYS = ("failed", "flaky", "skipped", "timed_out", "interrupted")
RATE_KEYS = ("failed_rate", "flaky_rate")
THRESHOLD_KEYS = (*COUNT_KEYS, *RATE_KEYS, "min_tests")
FAILABLE_STATUSES = ("failed", "timed_out", "interrupted")
TOP_KEYS = ("version", "thresholds", "status", "warn", "quarantine", "rules", "baseline", "fail_fast")
# The spellings `status.fail_on` takes (the JSON Schema lists the same), to their normalised names.
FAIL_ON_SPELLINGS = {
    "failed": "failed",
    "timed_out": "timed_out",
    "timedOut": "timed_out",
    "interrupted": "interrupted",
}
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class Thresholds:
    """Hard limits: the most tests of a status allowed, the most rates (fractions), the fewest tests run."""

    failed: int | None = 0
    flaky: int | None = None
    skipped: int | None = None
    timed_out: int | None = None
    interrupted: int | None = None
    failed_rate: float | None = None
    flaky_rate: float | None = None
    min_tests: int = 1


@dataclass(frozen=True)
class QuarantineEntry:
    """Known-broken tests (by spec and/or title glob) that do not count until a date, with a reason."""

    index: int
    spec: str | None
    test: str | None
    reason: str
    until: datetime.date
    owner: str | None = None

    @property
    def label(self) -> str:
        """How the entry is named in reports: its key path and what it matches."""
        what = " and ".join(f"{key} {value!r}" for key, value in (("spec", self.spec), ("test", self.test)) if value)
        return f"quarantine[{self.index}] ({what})"


@dataclass(frozen=True)
class Rule:
    """Limits for runs on some branches or with some tags; applied in order, key by key."""

    index: int
    branch: str | None
    tags: tuple[str, ...]
    thresholds: Mapping[str, Any]
    warn: Mapping[str, Any]
    fail_on: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """How the rule is named in reports."""
        parts = ([f"branch {self.branch!r}"] if self.branch else []) + (
            [f"tags {', '.join(self.tags)}"] if self.tags else []
        )
        return f"rules[{self.index}] ({' and '.join(parts)})"


@dataclass(frozen=True)
class Baseline:
    """Compare with the newest finished run on a branch: at most this many new failures."""

    branch: str
    new_failures: int = 0


@dataclass(frozen=True)
class Policy:
    """What the gate demands of a finished run, and where that came from."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    fail_on: tuple[str, ...] = ("timed_out", "interrupted")
    source: str = BUILT_IN
    warn: Mapping[str, Any] = field(default_factory=dict)
    quarantine: tuple[QuarantineEntry, ...] = ()
    rules: tuple[Rule, ...] = ()
    baseline: Baseline | None = None
    fail_fast: bool = False


def _strict_loader(text: str) -> Any:
    """A safe loader that notes duplicate keys, which plain YAML loading silently lets the last one win.

    PyYAML is imported here, not at start-up: a gate with no config file never needs it.
    """
    import yaml  # noqa: PLC0415

    class StrictLoader(yaml.SafeLoader):
        duplicates: list[str]

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, str) and key in seen:
                    self.duplicates.append(f"{key} (line {key_node.start_mark.line + 1})")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader(text)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely; syntax errors and duplicate keys are ConfigErrors."""
    import yaml  # noqa: PLC0415

    loader = _strict_loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [f"YAML syntax error{where}: {problem}"]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ConfigError(source, [f"key given twice: {dup}" for dup in loader.duplicates])
    return data


def load_policy(path: Path | None) -> Policy:
    """Read and check a thresholds file; None gives the built-in defaults."""
    if path is None:
        return Policy()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"the file cannot be read: {exc}"]) from None
    return parse_policy(load_yaml(text, source), source)


class _Problems:
    """Collects every problem of a config so that the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def unknown_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                close = [name for name in allowed if _similar(str(key), name)]
                hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(allowed)}"
                self.add(f"{prefix}{key}", f"unknown key{hint}")


def _similar(given: str, known: str) -> bool:
    import difflib  # noqa: PLC0415 - only needed when a key is wrong

    return difflib.SequenceMatcher(None, given.lower(), known).ratio() >= 0.75


def _count(value: object, path: str, problems: _Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 2.0 is a whole number, as JSON Schema's "integer" says too
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(path, f"must be a whole number of 0 or more (or null for no limit), not {value!r}")
        return None
    if value < 0:
        problems.add(path, f"must be 0 or more, not {value}")
        return None
    return value


def parse_rate(value: object) -> float | None:
    """`2%`, `"2%"` or `0.02` to 0.02; None when it is not a rate between 0 and 100%."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        rate = float(value)
    elif isinstance(value, str) and (match := _PERCENT.match(value)):
        rate = float(match.group(1)) / 100
    else:
        return None
    return rate if 0.0 <= rate <= 1.0 else None


def _rate(value: object, path: str, problems: _Problems) -> float | None:
    if value is None:
        return None
    rate = parse_rate(value)
    if rate is None:
        problems.add(path, f"must be a rate from 0% to 100%, written like 2% or 0.02, not {value!r}")
    return rate


def _limits(data: object, path: str, problems: _Problems) -> dict[str, Any]:
    """A mapping of limits (the keys of `thresholds`), as far as it is given: for thresholds, warn, rules."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.add(path, f"must be a mapping of limits, not {type(data).__name__}")
        return {}
    problems.unknown_keys(data, THRESHOLD_KEYS, f"{path}.")
    values: dict[str, Any] = {}
    for key in COUNT_KEYS:
        if key in data:
            values[key] = _count(data[key], f"{path}.{key}", problems)
    for key in RATE_KEYS:
        if key in data:
            values[key] = _rate(data[key], f"{path}.{key}", problems)
    if "min_tests" in data:
        values["min_tests"] = _count(data["min_tests"], f"{path}.min_tests", problems) or 0
    return values


def _thresholds(data: object, problems: _Problems) -> Thresholds:
    return replace(Thresholds(), **_limits(data, "thresholds", problems))


def _text(value: object, path: str, problems: _Problems, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "is required: a non-empty text" if value is None else f"must be a text, not {value!r}")
        return None
    return value


def _glob(value: object, path: str, problems: _Problems) -> str | None:
    """A glob (`*`, `?`, `[...]`): a non-empty one-line text whose brackets close."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        problems.add(path, f'must be a glob such as "checkout/*.spec.ts", not {value!r}')
        return None
    if value.count("[") != value.count("]"):
        problems.add(path, f"is not a valid glob: its brackets do not close ({value!r})")
        return None
    return value


def _date(value: object, path: str, problems: _Problems) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.add(
        path,
        "is required: a date such as 2026-12-31"
        if value is None
        else f"must be a date such as 2026-12-31, not {value!r}",
    )
    return None


def _entries(data: object, path: str, problems: _Problems) -> list[tuple[int, Mapping[str, Any]]]:
    if data is None:
        return []
    if not isinstance(data, list):
        problems.add(path, f"must be a list, not {type(data).__name__}")
        return []
    entries = []
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping):
            problems.add(f"{path}[{index}]", f"must be a mapping, not {type(entry).__name__}")
        else:
            entries.append((index, entry))
    return entries


def _quarantine(data: object, problems: _Problems) -> tuple[QuarantineEntry, ...]:
    result = []
    for index, entry in _entries(data, "quarantine", problems):
        where = f"quarantine[{index}]"
        problems.unknown_keys(entry, ("spec", "test", "reason", "owner", "until"), f"{where}.")
        spec, test = (
            _glob(entry.get("spec"), f"{where}.spec", problems),
            _glob(entry.get("test"), f"{where}.test", problems),
        )
        if "spec" not in entry and "test" not in entry:
            problems.add(where, "needs `spec`, `test` or both: the glob(s) naming the quarantined tests")
        reason = _text(entry.get("reason"), f"{where}.reason", problems, required=True)
        owner = _text(entry.get("owner"), f"{where}.owner", problems, required=False)
        until = _date(entry.get("until"), f"{where}.until", problems)
        if (spec or test) and reason and until:
            result.append(QuarantineEntry(index, spec, test, reason, until, owner))
    return tuple(result)


def _rules(data: object, problems: _Problems) -> tuple[Rule, ...]:
    result = []
    for index, entry in _entries(data, "rules", problems):
        where = f"rules[{index}]"
        problems.unknown_keys(entry, ("when", "thresholds", "warn", "status"), f"{where}.")
        when = entry.get("when")
        branch, tags = None, ()
        if not isinstance(when, Mapping) or not ({"branch", "tags"} & set(when)):
            problems.add(f"{where}.when", "is required: a mapping with `branch` (a glob), `tags` (a list) or both")
        else:
            problems.unknown_keys(when, ("branch", "tags"), f"{where}.when.")
            branch = _glob(when.get("branch"), f"{where}.when.branch", problems)
            raw_tags = when.get("tags", [])
            if not isinstance(raw_tags, list) or not all(isinstance(t, str) and t for t in raw_tags):
                problems.add(f"{where}.when.tags", f"must be a list of tags such as [nightly], not {raw_tags!r}")
            else:
                tags = tuple(raw_tags)
        thresholds = _limits(entry.get("thresholds"), f"{where}.thresholds", problems)
        warn = _limits(entry.get("warn"), f"{where}.warn", problems)
        fail_on = _fail_on(entry["status"], problems, f"{where}.status") if "status" in entry else None
        result.append(Rule(index, branch, tags, thresholds, warn, fail_on))
    return tuple(result)


def _baseline(data: object, problems: _Problems) -> Baseline | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        problems.add("baseline", f"must be a mapping with `branch`, not {type(data).__name__}")
        return None
    problems.unknown_keys(data, ("branch", "new_failures"), "baseline.")
    branch = _text(data.get("branch"), "baseline.branch", problems, required=True)
    new_failures = _count(data.get("new_failures", 0), "baseline.new_failures", problems)
    return Baseline(branch, 0 if new_failures is None else new_failures) if branch else None


def _fail_on(data: object, problems: _Problems, path: str = "status") -> tuple[str, ...]:
    default = Policy().fail_on
    if data is None:
        return default
    if not isinstance(data, Mapping):
        problems.add(path, f"must be a mapping (with `fail_on`), not {type(data).__name__}")
        return default
    problems.unknown_keys(data, ("fail_on",), f"{path}.")
    if "fail_on" not in data:
        return default
    statuses = data["fail_on"]
    if statuses is None:
        return ()
    if not isinstance(statuses, list):
        problems.add(f"{path}.fail_on", f"must be a list of run statuses, not {statuses!r}")
        return default
    chosen: list[str] = []
    for index, status in enumerate(statuses):
        name = FAIL_ON_SPELLINGS.get(status) if isinstance(status, str) else None
        if name is None:
            problems.add(f"{path}.fail_on[{index}]", f"must be one of {', '.join(FAILABLE_STATUSES)}, not {status!r}")
        elif name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def policy_problems(data: object) -> tuple[Policy | None, list[str]]:
    """Check parsed YAML: the Policy it gives (when it has no problem) and every problem found."""
    problems = _Problems()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return None, [f"the file must hold a mapping (thresholds:, status:, ...), not {type(data).__name__}"]
    problems.unknown_keys(data, TOP_KEYS, "")
    if "version" in data and (data["version"] != 1 or isinstance(data["version"], bool)):
        problems.add("version", f"must be 1 (the only version this gate reads), not {data['version']!r}")
    fail_fast = data.get("fail_fast", False)
    if not isinstance(fail_fast, bool):
        problems.add("fail_fast", f"must be true or false, not {fail_fast!r}")
    policy = Policy(
        thresholds=_thresholds(data.get("thresholds"), problems),
        fail_on=_fail_on(data.get("status"), problems),
        warn=_limits(data.get("warn"), "warn", problems),
        quarantine=_quarantine(data.get("quarantine"), problems),
        rules=_rules(data.get("rules"), problems),
        baseline=_baseline(data.get("baseline"), problems),
        fail_fast=fail_fast is True,
    )
    return (None if problems.items else policy), problems.items


def parse_policy(data: object, source: str) -> Policy:
    """Parsed YAML to a Policy, or a ConfigError listing every problem."""
    policy, problems = policy_problems(data)
    if policy is None:
        raise ConfigError(source, problems)
    return replace(policy, source=source)
