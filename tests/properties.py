"""How many examples a property test draws: a few, the same ones every run, in CI; thousands when fuzzing.

The profiles are registered in `tests/conftest.py`: `ci` (the default) is derandomized, so the suite never
passes or fails by the luck of a draw; `fuzz` (`HYPOTHESIS_PROFILE=fuzz`) draws FUZZ_EXAMPLES afresh for every
property. Whatever a fuzz run finds is pinned with `@example` beside the property.
"""

from __future__ import annotations

import os

FUZZ_EXAMPLES = 20_000


def fuzzing() -> bool:
    """Whether this run is a long fuzz (`HYPOTHESIS_PROFILE=fuzz`)."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci") == "fuzz"


def examples(ci: int, fuzz: int = FUZZ_EXAMPLES) -> int:
    """`ci` examples in CI; `fuzz` when fuzzing (a property that runs the whole gate per example asks fewer)."""
    return fuzz if fuzzing() else ci
