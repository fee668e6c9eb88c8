"""The thresholds file (YAML, version 1) to a Policy; strict, and every problem is named by its key path.

The parts: `types` (the Policy), `shape` (the file's keys, kinds, bounds, defaults and descriptions, defined
once), `reader` (the file to data, bounded), `parse` (data to a Policy, checked against the shape),
`load` (a path to a Policy) and `schema` (the JSON Schema, generated from the shape; not imported here).
"""

from __future__ import annotations

from gate.config.load import load_policy
from gate.config.messages import MAX_PROBLEMS, SHOWN_CHARS, NumberText, shown
from gate.config.parse import parse_policy, parse_rate, policy_problems
from gate.config.reader import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, _loader_class, load_yaml
from gate.config.shape import (
    COUNT_KEYS,
    FAIL_ON_SPELLINGS,
    FAILABLE_STATUSES,
    MAX_COUNT,
    MAX_ENTRIES,
    MAX_TEXT,
    RATE_KEYS,
    THRESHOLD_KEYS,
    TOP_KEYS,
)
from gate.config.types import BUILT_IN, FORGIVABLE, Baseline, History, Policy, QuarantineEntry, Rule, Thresholds

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
    "SHOWN_CHARS",
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
    "shown",
]
