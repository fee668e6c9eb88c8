"""The JSON Schema of a scenario file, generated from its shape; `python -m gate.simulator.schema` writes it.

The shipped file (gate/simulator/scenario.schema.json) is tested to be what `build_schema()` gives, so the
schema and the simulator's checker cannot drift apart. Run with `--check` to only compare.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.schema import document, section_schema, write_or_check
from gate.schema import schema_text as shipped_text
from gate.shape import Key
from gate.simulator.shape import KINDS, SCENARIO

FILE_NAME = "scenario.schema.json"
SCHEMA_ID = f"https://raw.githubusercontent.com/playdash-gate/playdash-gate/main/gate/simulator/{FILE_NAME}"
TITLE = "playdash-gate simulator scenario"
SHIPPED = Path(__file__).resolve().parent / FILE_NAME


def _kind(kind: str, _key: Key, _defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of a single value of a kind, as the kind defines it."""
    return dict(KINDS[kind].schema)


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, from the one definition of its shape."""
    defs: dict[str, Any] = {}
    body = section_schema(SCENARIO, _kind, defs)
    return document(schema_id=SCHEMA_ID, title=TITLE, description=SCENARIO.description or "", body=body, defs=defs)


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return shipped_text(build_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write the shipped schema from the shape, or with --check say whether it is up to date (exit 1 if not)."""
    return write_or_check(
        argv, prog="python -m gate.simulator.schema", what="a scenario file", shipped=SHIPPED, text=schema_text
    )


if __name__ == "__main__":
    sys.exit(main())
