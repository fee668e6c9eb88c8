"""The thresholds file (YAML, version 1) to a Policy; strict, and every problem is named by its key path.

The parts: `types` (the Policy), `shape` (the file's keys, kinds, bounds, defaults and descriptions, defined
once), `reader` (the file to data, bounded), `parse` (data to a Policy, checked against the shape),
`load` (a path to a Policy) and `schema` (the JSON Schema, generated from the shape; not imported here).
"""

from __future__ import annotations

from typing import Any

from gate.config.types import (
    BUILT_IN,
    COUNT_KEYS,
    FORGIVABLE,
    RATE_KEYS,
    Baseline,
    History,
    Policy,
    QuarantineEntry,
    Rule,
    Thresholds,
)

# What only reading a file needs (the shape, the YAML reader, the checker) is loaded on first use: a gate
# with no config file never pays for it.
_LAZY = {
    "load_policy": "load",
    "MAX_PROBLEMS": "messages",
    "NumberText": "messages",
    "parse_policy": "parse",
    "parse_rate": "parse",
    "policy_problems": "parse",
    "MAX_DEPTH": "reader",
    "MAX_FILE_BYTES": "reader",
    "MAX_NODES": "reader",
    "_loader_class": "reader",
    "load_yaml": "reader",
    "FAIL_ON_SPELLINGS": "shape",
    "FAILABLE_STATUSES": "shape",
    "MAX_COUNT": "shape",
    "MAX_ENTRIES": "shape",
    "MAX_TEXT": "shape",
    "THRESHOLD_KEYS": "shape",
    "TOP_KEYS": "shape",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gate.config' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(f"gate.config.{module}"), name)


__all__ = [
    "BUILT_IN",
    "COUNT_KEYS",
    "FAILABLE_STATUSES",
    "FAIL_ON_SPELLINGS",
    "FORGIVABLE",
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MAX_PROBLEMS",
    "MAX_TEXT",
    "RATE_KEYS",
    "THRESHOLD_KEYS",
    "TOP_KEYS",
    "Baseline",
    "History",
    "NumberText",
    "Policy",
    "QuarantineEntry",
    "Rule",
    "Thresholds",
    "_loader_class",  # the tests clear its cache to try the pure-Python YAML parser
    "load_policy",
    "load_yaml",
    "parse_policy",
    "parse_rate",
    "policy_problems",
]
