"""YAML to Python data, safely and within bounds: PyYAML's safe loader with bounds on what it builds.

A module of its own, imported only where a thresholds file is read (gate/config/load.py): a gate with no
config file never loads PyYAML. Its C parser (libyaml) is used when present: the pure-Python one reads a
hostile 1 MiB file in seconds, not milliseconds. Composing (where the bounds are) and constructing stay
PyYAML's Python code either way. Syntax errors, crossed bounds and keys given twice are ConfigErrors
naming the file (and the line).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from gate.bounded import CONFIG_FILE
from gate.config.messages import MAX_NUMBER_CHARS, MAX_PROBLEMS, NumberText, capped, key_name
from gate.errors import ConfigError
from gate.text import inline

# A whole number as people write one: an optional sign and decimal digits, no leading zero.
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_TIMESTAMP, _MERGE = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"

# What the loader builds is bounded, so that no file (an alias bomb, deep nesting, a huge file) can
# exhaust the machine or flood the logs; a real config is a few KB, a few hundred values, 5 levels deep.
# Its values are the thresholds file's limit in `gate.bounded`; its depth is YAML's own.
MAX_NODES = CONFIG_FILE.max_items
MAX_DEPTH = 64


class DuplicateKeys(ConfigError):
    """Keys given twice: a problem of the file, with the data read (the last value of each key) so that the
    rest of the file can still be checked and every problem listed at once."""

    def __init__(self, source: str, problems: list[str], data: Any) -> None:
        super().__init__(source, problems)
        self.data = data


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
    dispose: Callable[[], None]

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
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:
                if id(target) not in self.bound_sizes:
                    raise _LoaderLimit(
                        f"the alias *{key_name(event.anchor)} refers to a value that holds it: a loop",
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
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                if key_node.value in seen:
                    self.bound_state.duplicate_count += 1
                    if len(self.bound_state.duplicates) < MAX_PROBLEMS:
                        line = key_node.start_mark.line + 1
                        self.bound_state.duplicates.append(f"key given twice: {key_name(key_node.value)} (line {line})")
                seen.add(key_node.value)
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self.bound_state.mark = node.start_mark  # where a constructor's own error (not a YAMLError) happened
        return super().construct_object(node, deep=deep)

    def construct_timestamp_text(self, node: yaml.ScalarNode) -> str:
        return self.construct_scalar(node)  # an explicit !!timestamp too: `parse` reads the text

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int | str:
        text = self.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS:
            return NumberText(text)  # int() of a huge text is slow, or refused past 4,300 digits
        if not _DECIMAL.fullmatch(text.strip()):
            # YAML 1.1 reads 1:30 as 90, 0x10 as 16, 010 as 8 and 1_0 as 10: a limit written so is
            # surely a slip, and would silently let more through. Only plain decimals are numbers.
            return NumberText(text)
        try:
            return self.construct_yaml_int(node)
        except ValueError:
            return NumberText(text)

    def construct_bounded_float(self, node: yaml.ScalarNode) -> float | str:
        text = self.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS or any(mark in text for mark in ":_"):
            return NumberText(text)  # too long to read, or YAML 1.1's sexagesimal 1:30.5 and 1_0.5
        try:
            return self.construct_yaml_float(node)
        except ValueError:
            return NumberText(text)

    yaml_constructors: ClassVar[dict[str | None, Any]] = {
        **SafeConstructor.yaml_constructors,
        _TIMESTAMP: construct_timestamp_text,
        "tag:yaml.org,2002:int": construct_bounded_int,
        "tag:yaml.org,2002:float": construct_bounded_float,
    }


# Dates stay text: `parse` reads them with a message naming the key, where PyYAML's own timestamp
# constructor raises a bare ValueError on an impossible date such as 2027-02-30.
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in candidates if tag != _TIMESTAMP]
    for first, candidates in Resolver.yaml_implicit_resolvers.items()
}


class PureLoader(Bounds, yaml.SafeLoader):
    """The bounded loader on PyYAML's pure-Python parser (a PyYAML built without libyaml)."""

    yaml_implicit_resolvers = _RESOLVERS

    def __init__(self, stream: str, state: _LoadState) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self.start(state)


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    LOADER: Callable[[str, _LoadState], Bounds] = PureLoader
else:

    class FastLoader(Bounds, CParser, Resolver):
        """The bounded loader on libyaml's parser."""

        yaml_implicit_resolvers = _RESOLVERS

        def __init__(self, stream: str, state: _LoadState) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.start(state)

    LOADER = FastLoader


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely and within bounds; syntax errors, bounds and duplicate keys are ConfigErrors."""
    state = _LoadState()
    loader: Bounds | None = None
    try:
        loader = LOADER(text, state)  # the pure-Python reader checks the text here already
        data = loader.get_single_data()
    except _LoaderLimit as exc:
        raise ConfigError(source, [f"{exc.message}{_where(exc.mark)}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = inline(str(getattr(exc, "problem", None) or exc), 200)
        what = "unsupported YAML" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        hint = "; the file takes plain values only (no tags such as !!python/...)" if "constructor" in problem else ""
        raise ConfigError(source, [f"{what}{_where(mark)}: {problem}{hint}"]) from None
    except (ArithmeticError, LookupError, RecursionError, TypeError, ValueError, AttributeError) as exc:
        # PyYAML's constructors raise plain Python errors on odd input; each is a problem of the file.
        raise ConfigError(
            source, [f"the YAML cannot be read{_where(state.mark)}: {type(exc).__name__}: {inline(str(exc), 120)}"]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if state.duplicates:
        raise DuplicateKeys(source, capped(state.duplicates, state.duplicate_count), data)
    return data
