"""The config package: no YAML at start-up, every old import path kept, one shape for the limits."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

import gate.config
from gate.config import THRESHOLD_KEYS, Thresholds
from gate.config.shape import LIMITS

# Every name other modules (and the tests) imported from the single-module gate/config.py.
OLD_NAMES = [
    *("BUILT_IN", "COUNT_KEYS", "RATE_KEYS", "THRESHOLD_KEYS", "FAILABLE_STATUSES", "TOP_KEYS", "FAIL_ON_SPELLINGS"),
    *(
        "MAX_FILE_BYTES",
        "MAX_NODES",
        "MAX_DEPTH",
        "MAX_COUNT",
        "MAX_ENTRIES",
        "MAX_TEXT",
        "MAX_PROBLEMS",
    ),
    *("Thresholds", "QuarantineEntry", "Rule", "Baseline", "Policy", "NumberText", "load_yaml", "load_policy"),
    *("parse_rate", "policy_problems", "parse_policy", "_loader_class"),
]


@pytest.mark.parametrize("name", OLD_NAMES)
def test_every_name_of_the_old_module_is_importable_from_the_package(name: str) -> None:
    assert name in gate.config.__all__
    assert getattr(gate.config, name) is not None


COUNTS = ("failed", "flaky", "skipped", "timed_out", "interrupted")
RATES = ("failed_rate", "flaky_rate")
OLD_VALUES = {
    "COUNT_KEYS": COUNTS,
    "RATE_KEYS": RATES,
    "THRESHOLD_KEYS": (*COUNTS, *RATES, "min_tests"),
    "TOP_KEYS": ("version", "thresholds", "status", "warn", "quarantine", "rules", "baseline", "fail_fast", "history"),
    "FAILABLE_STATUSES": ("failed", "timed_out", "interrupted"),
    "FAIL_ON_SPELLINGS": {
        "failed": "failed",
        "timed_out": "timed_out",
        "timedOut": "timed_out",
        "interrupted": "interrupted",
    },
    "MAX_COUNT": 1_000_000_000,
    "MAX_ENTRIES": 1_000,
    "MAX_TEXT": 1_000,
    "MAX_FILE_BYTES": 1024 * 1024,
    "MAX_NODES": 100_000,
    "MAX_DEPTH": 64,
    "MAX_PROBLEMS": 20,
    "BUILT_IN": "built-in defaults",
}


def test_the_old_keys_and_bounds_keep_their_values() -> None:
    assert {name: getattr(gate.config, name) for name in OLD_VALUES} == OLD_VALUES


def test_importing_the_config_imports_neither_yaml_nor_the_schema_generator() -> None:
    code = "import sys, gate.config; print(sorted(m for m in sys.modules if m == 'yaml' or m.endswith('.schema')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_limits_of_the_shape_are_the_fields_of_thresholds() -> None:
    assert tuple(field.name for field in fields(Thresholds)) == THRESHOLD_KEYS == LIMITS.names


def test_the_run_time_limit_keys_are_the_shapes() -> None:
    # The gate reads COUNT_KEYS and RATE_KEYS at run time from `types` (no shape loaded without a file):
    # they must be what the one definition of the file's shape says.
    from gate.config import shape, types

    assert types.COUNT_KEYS == shape.COUNT_KEYS
    assert types.RATE_KEYS == shape.RATE_KEYS


def test_a_run_without_a_config_file_loads_no_parser() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gate.cli, gate.job.judge; from gate.config.load import load_policy; load_policy(None); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('gate.config.', 'yaml', 'gate.comment', 'gate.cli.demo'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['gate.config.load', 'gate.config.types']"
