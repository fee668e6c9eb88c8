"""The JSON Schema of a scenario file, generated from its shape; `python -m gate.simulator.schema` writes it.

The shipped file (gate/simulator/scenario.schema.json) is tested to be what `build_schema()` gives, so the
schema and the simulator's checker cannot drift apart. Run with `--check` to only compare.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.schema import document, write_or_check
from gate.schema import schema_text as shipped_text
from gate.simulator.shape import MAX_COUNT, MAX_SECONDS, SCENARIO, TEST_STATUSES, Kind, ListOf, Obj

FILE_NAME = "scenario.schema.json"
SCHEMA_ID = f"https://raw.githubusercontent.com/playdash-gate/playdash-gate/main/gate/simulator/{FILE_NAME}"
TITLE = "playdash-gate simulator scenario"
SHIPPED = Path(__file__).resolve().parent / FILE_NAME

_KINDS: dict[Kind, dict[str, Any]] = {
    "text": {"type": "string"},
    "maybe_text": {"type": ["string", "null"]},
    "texts": {"type": "array", "items": {"type": "string"}},
    "count": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
    "seconds": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
    "fraction": {"type": "number", "minimum": 0, "maximum": 1},
    "bool": {"type": "boolean"},
    "http": {"type": "integer", "minimum": 100, "maximum": 599},
    "status": {"enum": list(TEST_STATUSES)},
    "json": {},
    "object": {"type": "object"},
}


def _value(value: Kind | Obj | ListOf, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, ListOf):
        return {"type": "array", "items": _value(value.item, defs)}
    if isinstance(value, Obj):
        return _object(value, defs)
    return dict(_KINDS[value])


def _object(shape: Obj, defs: dict[str, Any]) -> dict[str, Any]:
    """An object's schema; a named one is written once in $defs and referred to."""
    if shape.name is not None and shape.name in defs:
        return {"$ref": f"#/$defs/{shape.name}"}
    if shape.name is not None:
        defs[shape.name] = {}  # claimed before its keys are walked: their $defs come after it
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
    if shape.description is not None and shape.name is not None:
        schema["description"] = shape.description
    required = [name for name, key in shape.keys.items() if key.required]
    if required:
        schema["required"] = required
    schema["properties"] = {
        name: {**_value(key.value, defs), "description": key.description} for name, key in shape.keys.items()
    }
    if shape.name is None:
        return schema
    defs[shape.name] = schema
    return {"$ref": f"#/$defs/{shape.name}"}


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, from the one definition of its shape."""
    defs: dict[str, Any] = {}
    body = _object(SCENARIO, defs)
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
