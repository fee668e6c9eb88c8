"""The config package: no YAML at start-up, the keys and bounds it has always had, one shape for the limits."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

from gate.config import messages, reader, shape, types, yaml_loader
from gate.config.shape import LIMITS, THRESHOLD_KEYS
from gate.config.types import Thresholds

COUNTS = ("failed", "flaky", "skipped", "timed_out", "interrupted")
RATES = ("failed_rate", "flaky_rate")
VALUES = {
    "COUNT_KEYS": COUNTS,
    "RATE_KEYS": RATES,
    "THRESHOLD_KEYS": (*COUNTS, *RATES, "min_tests", "new_flaky"),
    "TOP_KEYS": (
        *("version", "thresholds", "status", "warn", "quarantine", "rules", "baseline", "fail_fast", "history"),
        "projects",
    ),
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


def test_the_keys_and_bounds_keep_their_values() -> None:
    homes = (types, shape, messages, reader, yaml_loader)
    found = {name: getattr(next(home for home in homes if hasattr(home, name)), name) for name in VALUES}
    assert found == VALUES


def test_importing_the_config_imports_neither_yaml_nor_the_schema_generator() -> None:
    code = "import sys, gate.config; print(sorted(m for m in sys.modules if m == 'yaml' or m.endswith('.schema')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_limits_of_the_shape_are_the_fields_of_thresholds() -> None:
    assert tuple(field.name for field in fields(Thresholds)) == THRESHOLD_KEYS == LIMITS.names


def test_the_run_time_limit_keys_are_the_shapes() -> None:
    # The gate reads COUNT_KEYS and RATE_KEYS at run time from `types` (no shape loaded without a file):
    # they must be what the one definition of the file's shape says.
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


@pytest.mark.parametrize(("libyaml", "loader"), [(True, "FastLoader"), (False, "PureLoader")])
def test_the_yaml_loader_is_libyamls_when_pyyaml_has_it_and_pure_python_otherwise(libyaml: bool, loader: str) -> None:
    # The tests of the pure-Python loader (test_c07) swap it in; this is the choice a PyYAML without libyaml makes.
    block = "" if libyaml else "sys.modules['yaml._yaml'] = None; "
    code = f"import sys; {block}from gate.config import yaml_loader; print(yaml_loader.LOADER.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == loader
