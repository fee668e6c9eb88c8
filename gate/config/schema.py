"""The JSON Schema of the thresholds file, generated from its shape; `python -m gate.config.schema` writes it.

Editors read the shipped file (gate/schema/playdash-gate.schema.json); the tests check that it is what
`build_schema()` gives, so the schema and the checker cannot drift apart. Run with `--check` to only compare.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.config.shape import FAIL_ON_SPELLINGS, FILE, MAX_COUNT, MAX_TEXT, VERSION
from gate.config.types import FORGIVABLE
from gate.schema import document, section_schema, write_or_check
from gate.schema import schema_text as shipped_text
from gate.shape import Key

FILE_NAME = "playdash-gate.schema.json"
SCHEMA_ID = f"https://raw.githubusercontent.com/playdash-gate/playdash-gate/main/gate/schema/{FILE_NAME}"
TITLE = "playdash-gate thresholds file (.playdash-gate.yml)"
# Where the shipped schema lives in a checkout: the `gate.schema` package, beside this package.
SHIPPED = Path(__file__).resolve().parents[1] / "schema" / FILE_NAME

# A rate written as a percentage, from 0% to 100%.
_PERCENT_PATTERN = r"^\s*(100(\.0+)?|\d{1,2}(\.\d+)?)\s*%\s*$"
# One line with something other than spaces in it; written so that no text makes a regex engine backtrack long.
_GLOB_PATTERN = r"^[^\n\S]*\S[^\n]*$"
# A real day of the Gregorian calendar (29 February in any year: the loader has the last word on leap years).
_DAY_PATTERN = (
    r"^(?!0000)\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2\d))$"
)


def _text(*, nullable: bool) -> dict[str, Any]:
    return {
        "type": ["string", "null"] if nullable else "string",
        "minLength": 1,
        "pattern": r"\S",
        "maxLength": MAX_TEXT,
    }


def _shared(kind: str, defs: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a kind written once in $defs (count, rate, glob), else None."""
    match kind:
        case "count":
            defs.setdefault(kind, {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_COUNT})
        case "rate":
            number = {"type": "number", "minimum": 0, "maximum": 1}
            defs.setdefault(
                kind, {"anyOf": [number, {"type": "string", "pattern": _PERCENT_PATTERN}, {"type": "null"}]}
            )
        case "glob":
            defs.setdefault(kind, {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": _GLOB_PATTERN})
        case _:
            return None
    return {"$ref": f"#/$defs/{kind}"}


def _kind(kind: str, key: Key, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of a single value of a kind (a reference to $defs for the shared ones)."""
    shared = _shared(kind, defs)
    if shared is not None:
        return shared
    match kind:
        case "text":
            return _text(nullable=not key.required)
        case "date":
            return {"type": "string", "format": "date", "pattern": _DAY_PATTERN}
        case "statuses":
            return {"type": ["array", "null"], "items": {"enum": list(FAIL_ON_SPELLINGS)}}
        case "tags":
            return {"type": "array", "items": _text(nullable=False)}
        case "bool":
            return {"type": "boolean"}
        case "version":
            return {"const": VERSION}
        case "whole":
            return {"type": "integer", "minimum": key.minimum, "maximum": key.maximum}
        case "classes":
            return {"type": ["array", "null"], "items": {"enum": list(FORGIVABLE)}, "uniqueItems": True}
    raise ValueError(f"the schema has no spelling for the kind {kind!r}")


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the thresholds file, from the one definition of its shape."""
    defs: dict[str, Any] = {}
    body = section_schema(FILE, _kind, defs)
    # A rule's `history` needs a branch once merged: its own when the file has no `history` section.
    no_history = {"anyOf": [{"not": {"required": ["history"]}}, {"properties": {"history": {"type": "null"}}}]}
    rule_branch = {"properties": {"history": {"required": ["branch"]}}}
    # A project's `history` too, and its rules' unless the project's own section gives the branch.
    project_branch = {
        "properties": {"history": {"required": ["branch"]}},
        "if": {"required": ["history"], "properties": {"history": {"type": "object"}}},
        "else": {"properties": {"rules": {"items": rule_branch}}},
    }
    body["if"] = no_history
    body["then"] = {
        "properties": {"rules": {"items": rule_branch}, "projects": {"additionalProperties": project_branch}}
    }
    return document(schema_id=SCHEMA_ID, title=TITLE, description=FILE.description or "", body=body, defs=defs)


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return shipped_text(build_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write the shipped schema from the shape, or with --check say whether it is up to date (exit 1 if not)."""
    return write_or_check(
        argv, prog="python -m gate.config.schema", what="the thresholds file", shipped=SHIPPED, text=schema_text
    )


if __name__ == "__main__":
    sys.exit(main())
