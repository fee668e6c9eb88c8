"""The thresholds file (YAML, version 1) to a Policy; strict, and every problem is named by its key path."""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

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
# A day, and optionally a time of it (the forms YAML 1.1 timestamps take); only the day is kept.
_DATE = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?:(?:[Tt]|[ \t]+)(?P<hour>\d\d?):(?P<minute>\d\d):(?P<second>\d\d)(?:\.\d*)?"
    r"(?:[ \t]*(?:Z|[-+]\d\d?(?::?\d\d)?))?)?$"
)

# What the loader builds is bounded, so that no file (an alias bomb, deep nesting, a huge file) can
# exhaust the machine or flood the logs; a real config is a few KB, a few hundred values, 5 levels deep.
MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_COUNT = 1_000_000_000
MAX_ENTRIES = 1_000
MAX_TEXT = 1_000
# A message lists this many problems, then says how many more; each shows a value cut to SHOWN_CHARS.
MAX_PROBLEMS = 20
SHOWN_CHARS = 60
_MAX_NUMBER_CHARS = 100


@dataclass(frozen=True)
class Thresholds:
    """Hard limits: the most tests of a status allowed, the most rates (fractions), the fewest tests run."""

    failed: int | None = 0
    flaky: int | None = None
    skipped: int | None = None
    # Playwright counts a timed-out or interrupted test as a failure; so does the gate, by default.
    timed_out: int | None = 0
    interrupted: int | None = 0
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


class NumberText(str):
    """A YAML number the loader did not read (too long, or not a number under its tag), kept as its text."""

    # The key it is under then says what it must be, instead of a traceback from inside PyYAML.
    __slots__ = ()


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value as a message shows it: its repr, cut to about `limit` characters with "…", whatever its size."""
    if isinstance(value, NumberText):
        piece = str.__str__(value[: limit + 1])
        text = piece if piece.isprintable() else repr(piece)
    elif isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        text = f"a number of about {int(value.bit_length() * 0.30103)} digits"
    else:
        import reprlib  # noqa: PLC0415 - only when a message shows a value

        # reprlib looks at a few items of a few levels: the cost is bounded however big the value is.
        brief = reprlib.Repr()
        brief.maxlevel, brief.maxdict, brief.maxlist, brief.maxtuple, brief.maxset = 2, 4, 4, 4, 4
        brief.maxstring = brief.maxother = brief.maxlong = limit
        try:
            text = brief.repr(value)
        except (ValueError, RecursionError):
            text = f"a {type(value).__name__}"
    return _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str, limit: int) -> str:
    return _cut(" ".join(text[: limit * 2].split()), limit)


def _key_name(key: object) -> str:
    """A mapping key as a key path shows it: as written when short and printable, else cut."""
    if isinstance(key, str) and key.isprintable() and len(key) <= SHOWN_CHARS:
        return key
    return shown(key)


class _LoaderLimit(Exception):
    """The file crossed a bound of the loader (nodes, depth) or loops on itself; `mark` is where."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


class _LoadState:
    """What the loader noticed on its way: keys given twice, and the node being built (for an error's line)."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []
        self.duplicate_count = 0
        self.mark: Any = None


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


class _Loader(Protocol):
    """What `load_yaml` uses of a loader."""

    def get_single_data(self) -> Any: ...
    def dispose(self) -> None: ...


@functools.cache
def _loader_class() -> Callable[[str, _LoadState], _Loader]:
    """A safe loader that bounds what it builds, keeps dates as text, and notes keys given twice.

    PyYAML is imported here, not at start-up: a gate with no config file never needs it. Its C parser
    (libyaml) is used when present: the pure-Python one reads a hostile 1 MiB file in seconds, not
    milliseconds. Composing (where the bounds are) and constructing stay PyYAML's Python code either way.
    """
    import yaml  # noqa: PLC0415
    from yaml.composer import Composer  # noqa: PLC0415
    from yaml.constructor import SafeConstructor  # noqa: PLC0415
    from yaml.resolver import Resolver  # noqa: PLC0415

    timestamp, merge = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"
    alias_event = yaml.AliasEvent

    class Bounds(Composer, SafeConstructor):
        """The loader's own parts: bounds while composing, numbers and dates read without raising."""

        # Names of PyYAML's own attributes (`state`, `states`, `marks`...) are taken: these start with `bound_`.
        bound_state: _LoadState
        bound_nodes: int  # nodes composed so far, an alias counting as all the nodes it stands for
        bound_depth: int  # of the node being composed
        bound_reach: int  # the deepest level reached under the open nodes (an alias reaches its whole height)
        bound_sizes: dict[int, tuple[int, int]]  # id(node) -> (nodes it stands for, its height)
        # Provided by the parser (libyaml's or PyYAML's), later in the MRO.
        peek_event: Callable[[], Any]

        def start(self, state: _LoadState) -> None:
            self.bound_state, self.bound_sizes = state, {}
            self.bound_nodes = self.bound_depth = self.bound_reach = 0

        def _over(self, mark: Any) -> None:
            if self.bound_nodes > MAX_NODES:
                raise _LoaderLimit(
                    f"the file holds more than {MAX_NODES:,} values (aliases counting as all they repeat); "
                    "a thresholds file needs a few hundred: remove the repetition",
                    mark,
                )
            if self.bound_reach > MAX_DEPTH:
                raise _LoaderLimit(
                    f"the file nests deeper than {MAX_DEPTH} levels (aliases counting as what they repeat); "
                    "a thresholds file needs about 5: flatten it",
                    mark,
                )

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            # Bounds are checked while composing, before anything is built: an alias bomb or a
            # 100,000-deep nesting stops at the first node over the bound, in little time and memory.
            event = self.peek_event()
            if isinstance(event, alias_event):
                target = self.anchors.get(event.anchor)
                if target is not None:
                    if id(target) not in self.bound_sizes:
                        raise _LoaderLimit(
                            f"the alias *{_key_name(event.anchor)} refers to a value that holds it: a loop",
                            event.start_mark,
                        )
                    nodes, height = self.bound_sizes[id(target)]
                    self.bound_nodes += nodes
                    self.bound_reach = max(self.bound_reach, self.bound_depth + height)
                    self._over(event.start_mark)
                return super().compose_node(parent, index)
            before, outer_reach = self.bound_nodes, self.bound_reach
            self.bound_nodes += 1
            depth = self.bound_depth = self.bound_reach = self.bound_depth + 1
            if self.bound_nodes > MAX_NODES or depth > MAX_DEPTH:
                self._over(event.start_mark)
            node = super().compose_node(parent, index)
            if node is not None:
                self.bound_sizes[id(node)] = (self.bound_nodes - before, self.bound_reach - depth + 1)
            self.bound_depth, self.bound_reach = depth - 1, max(outer_reach, self.bound_reach)
            return node

        def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
            node = super().compose_mapping_node(anchor)
            # Keys given twice are noted as composed: YAML would silently let the last one win.
            seen: set[str] = set()
            for key_node, _value in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != merge:
                    if key_node.value in seen:
                        self.bound_state.duplicate_count += 1
                        if len(self.bound_state.duplicates) < MAX_PROBLEMS:
                            line = key_node.start_mark.line + 1
                            self.bound_state.duplicates.append(
                                f"key given twice: {_key_name(key_node.value)} (line {line})"
                            )
                    seen.add(key_node.value)
            return node

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            self.bound_state.mark = node.start_mark  # where a constructor's own error (not a YAMLError) happened
            return super().construct_object(node, deep=deep)

        def construct_timestamp_text(self, node: yaml.ScalarNode) -> str:
            return self.construct_scalar(node)  # an explicit !!timestamp too: `_date` reads the text

        def construct_bounded_int(self, node: yaml.ScalarNode) -> int | str:
            text = self.construct_scalar(node)
            if len(text) > _MAX_NUMBER_CHARS:
                return NumberText(text)  # int() of a huge text is slow, or refused past 4,300 digits
            try:
                return self.construct_yaml_int(node)
            except ValueError:
                return NumberText(text)

        def construct_bounded_float(self, node: yaml.ScalarNode) -> float | str:
            text = self.construct_scalar(node)
            if len(text) > _MAX_NUMBER_CHARS:
                return NumberText(text)
            try:
                return self.construct_yaml_float(node)
            except ValueError:
                return NumberText(text)

        yaml_constructors: ClassVar[dict[str | None, Any]] = {
            **SafeConstructor.yaml_constructors,
            timestamp: construct_timestamp_text,
            "tag:yaml.org,2002:int": construct_bounded_int,
            "tag:yaml.org,2002:float": construct_bounded_float,
        }

    # Dates stay text: `_date` reads them with a message naming the key, where PyYAML's own timestamp
    # constructor raises a bare ValueError on an impossible date such as 2027-02-30.
    resolvers = {
        first: [(tag, regexp) for tag, regexp in candidates if tag != timestamp]
        for first, candidates in Resolver.yaml_implicit_resolvers.items()
    }

    try:
        from yaml._yaml import CParser  # noqa: PLC0415
    except ImportError:  # PyYAML built without libyaml

        class PureLoader(Bounds, yaml.SafeLoader):
            yaml_implicit_resolvers = resolvers

            def __init__(self, stream: str, state: _LoadState) -> None:
                yaml.SafeLoader.__init__(self, stream)
                self.start(state)

        return PureLoader

    class FastLoader(Bounds, CParser, Resolver):
        yaml_implicit_resolvers = resolvers

        def __init__(self, stream: str, state: _LoadState) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.start(state)

    return FastLoader


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely and within bounds; syntax errors, bounds and duplicate keys are ConfigErrors."""
    import yaml  # noqa: PLC0415

    state = _LoadState()
    loader: _Loader | None = None
    try:
        loader = _loader_class()(text, state)  # the pure-Python reader checks the text here already
        data = loader.get_single_data()
    except _LoaderLimit as exc:
        raise ConfigError(source, [f"{exc.message}{_where(exc.mark)}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = _one_line(str(getattr(exc, "problem", None) or exc), 200)
        what = "unsupported YAML" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        hint = "; the file takes plain values only (no tags such as !!python/...)" if "constructor" in problem else ""
        raise ConfigError(source, [f"{what}{_where(mark)}: {problem}{hint}"]) from None
    except (ArithmeticError, LookupError, RecursionError, TypeError, ValueError, AttributeError) as exc:
        # PyYAML's constructors raise plain Python errors on odd input; each is a problem of the file.
        raise ConfigError(
            source, [f"the YAML cannot be read{_where(state.mark)}: {type(exc).__name__}: {_one_line(str(exc), 120)}"]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if state.duplicates:
        raise ConfigError(source, _capped(state.duplicates, state.duplicate_count))
    return data


def _capped(problems: list[str], total: int) -> list[str]:
    """At most MAX_PROBLEMS problems, then how many more: a message stays small whatever the file."""
    listed = problems[:MAX_PROBLEMS]
    more = total - len(listed)
    return [*listed, f"…and {more:,} more problem{'s' if more != 1 else ''}"] if more > 0 else listed


def load_policy(path: Path | None) -> Policy:
    """Read and check a thresholds file; None gives the built-in defaults."""
    if path is None:
        return Policy()
    source = str(path)
    too_big = (
        f"the file is larger than 1 MiB ({MAX_FILE_BYTES:,} bytes); a thresholds file is a few KB: "
        "is it the right file?"
    )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # refused before reading it
            raise ConfigError(source, [too_big])
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # a pipe or device has no size to check first
    except FileNotFoundError:
        raise ConfigError(source, ["the file does not exist"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"the file cannot be read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(source, [too_big])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    return parse_policy(load_yaml(text, source), source)


class _Problems:
    """Collects every problem of a config so that the user sees them all at once (the first MAX_PROBLEMS)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0

    @property
    def full(self) -> bool:
        """No further problem would be listed: work spent describing one is wasted."""
        return self.count >= MAX_PROBLEMS

    def add(self, path: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{path}: {message}")

    def listed(self) -> list[str]:
        """The problems as a message lists them."""
        return _capped(self.items, self.count)

    def unknown_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                if self.full:
                    self.add("", "")
                    continue
                close = _closest(key, allowed)
                hint = f"; did you mean `{close}`?" if close else f"; known keys: {', '.join(allowed)}"
                self.add(f"{prefix}{_key_name(key)}", f"unknown key{hint}")


def _closest(given: object, known: tuple[str, ...]) -> str | None:
    """The known key a typo most likely meant (`faild`, `branh`, `timedOut`, `fail-on`), if any is close."""
    if not isinstance(given, str) or len(given) > 2 * SHOWN_CHARS:
        return None
    import difflib  # noqa: PLC0415 - only needed when a key is wrong

    spelled = given.strip().lower().replace("-", "_").replace(" ", "_")
    squashed = {name.replace("_", ""): name for name in known}
    if spelled.replace("_", "") in squashed:  # timedOut, timed-out, fail on
        return squashed[spelled.replace("_", "")]
    close = difflib.get_close_matches(spelled, known, n=1, cutoff=0.7)
    return close[0] if close else None


def _count(value: object, path: str, problems: _Problems) -> int | None:
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
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS and (match := _PERCENT.match(value)):
        rate = float(match.group(1)) / 100
    else:
        return None
    return rate if 0.0 <= rate <= 1.0 else None


def _rate(value: object, path: str, problems: _Problems) -> float | None:
    if value is None:
        return None
    rate = parse_rate(value)
    if rate is None:
        problems.add(path, f"must be a rate from 0% to 100%, written like 2% or 0.02, not {shown(value)}")
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
        problems.add(path, "is required: a non-empty text" if value is None else f"must be a text, not {shown(value)}")
        return None
    if len(value) > MAX_TEXT:
        problems.add(path, f"is {len(value):,} characters long; at most {MAX_TEXT:,}")
        return None
    return value


def _glob(value: object, path: str, problems: _Problems) -> str | None:
    """A glob (`*`, `?`, `[...]`): a non-empty one-line text whose brackets close."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        problems.add(path, f'must be a glob such as "checkout/*.spec.ts", not {shown(value)}')
        return None
    if len(value) > MAX_TEXT:
        problems.add(path, f"is {len(value):,} characters long; at most {MAX_TEXT:,}")
        return None
    if value.count("[") != value.count("]"):
        problems.add(path, f"is not a valid glob: its brackets do not close ({shown(value)})")
        return None
    return value


def _date(value: object, path: str, problems: _Problems) -> datetime.date | None:
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


def _entries(data: object, path: str, problems: _Problems) -> list[tuple[int, Mapping[str, Any]]]:
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


def _when(when: object, where: str, problems: _Problems) -> tuple[str | None, tuple[str, ...]]:
    """A rule's `when`: a branch glob and/or tags; a typo inside it is named as the typo."""
    needs = "a mapping with `branch` (a glob), `tags` (a list) or both"
    if when is None:
        problems.add(where, f"is required: {needs}")
        return None, ()
    if not isinstance(when, Mapping):
        problems.add(where, f"must be {needs}, not {shown(when)}")
        return None, ()
    known = ("branch", "tags")
    problems.unknown_keys(when, known, f"{where}.")
    if not set(known) & set(when) and all(key in known for key in when):
        problems.add(where, f"is empty: give {needs}")  # a typo is already named as one above
    branch = _glob(when.get("branch"), f"{where}.branch", problems)
    raw_tags = when.get("tags", [])
    if not isinstance(raw_tags, list) or not all(
        isinstance(tag, str) and tag.strip() and len(tag) <= MAX_TEXT for tag in raw_tags
    ):
        problems.add(f"{where}.tags", f"must be a list of tags such as [nightly], not {shown(raw_tags)}")
        return branch, ()
    return branch, tuple(raw_tags)


def _rules(data: object, problems: _Problems) -> tuple[Rule, ...]:
    result = []
    for index, entry in _entries(data, "rules", problems):
        where = f"rules[{index}]"
        problems.unknown_keys(entry, ("when", "thresholds", "warn", "status"), f"{where}.")
        branch, tags = _when(entry.get("when"), f"{where}.when", problems)
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
    problems = _Problems()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return None, [f"the file must hold a mapping (thresholds:, status:, ...), not {type(data).__name__}"]
    problems.unknown_keys(data, TOP_KEYS, "")
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        problems.add("version", f"must be 1 (the only version this gate reads), not {shown(version)}")
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
    )
    return (None if problems.count else policy), problems.listed()


def parse_policy(data: object, source: str) -> Policy:
    """Parsed YAML to a Policy, or a ConfigError listing its problems (the first MAX_PROBLEMS, then how many more)."""
    policy, problems = policy_problems(data)
    if policy is None:
        raise ConfigError(source, problems)
    return replace(policy, source=source)
