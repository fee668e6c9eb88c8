"""The JSON Schemas shipped with the package (the thresholds file, the verdict), and the one way a schema
is written from a shape (gate/shape.py), put together, written and checked (`python -m gate.config.schema`,
`python -m gate.simulator.schema`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gate.shape import NO_DEFAULT, Entries, Key, Named, Section

# The schema of a single value of a kind, by the kind's name, for the key that holds it (a kind may be
# written once in the definitions, and referred to).
KindSchema = Callable[[str, Key, dict[str, Any]], dict[str, Any]]


def section_schema(section: Section, kind_schema: KindSchema, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of a mapping of known keys; a shared one is put in `defs` once and referred to."""
    if section.shared_as is not None and section.shared_as in defs:
        return {"$ref": f"#/$defs/{section.shared_as}"}
    if section.shared_as is not None:
        defs[section.shared_as] = {}  # claimed before its keys are walked: their $defs come after it
    schema: dict[str, Any] = {"type": ["object", "null"] if section.nullable else "object"}
    schema["additionalProperties"] = False
    if section.description is not None and section.shared_as is not None:
        schema["description"] = section.description
    if section.required:
        schema["required"] = list(section.required)
    if section.one_of:
        schema["anyOf"] = [{"required": [name]} for name in section.one_of]
    schema["properties"] = {name: _key(key, kind_schema, defs) for name, key in section.keys.items()}
    if section.shared_as is None:
        return schema
    defs[section.shared_as] = schema
    return {"$ref": f"#/$defs/{section.shared_as}"}


def _key(key: Key, kind_schema: KindSchema, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of one key: its value's, with what the key means and its default."""
    schema = _value(key.value, key, kind_schema, defs)
    if key.description is not None:
        schema["description"] = key.description
    if key.default is not NO_DEFAULT:
        schema["default"] = list(key.default) if isinstance(key.default, tuple) else key.default
    return schema


def _value(
    value: str | Section | Entries | Named, key: Key, kind_schema: KindSchema, defs: dict[str, Any]
) -> dict[str, Any]:
    if isinstance(value, Section):
        return section_schema(value, kind_schema, defs)
    if isinstance(value, Named):
        named = {
            "type": ["object", "null"] if value.nullable else "object",
            "propertyNames": {"pattern": value.pattern},
            "additionalProperties": _value(value.item, key, kind_schema, defs),
        }
        return named if value.max_items is None else {**named, "maxProperties": value.max_items}
    if isinstance(value, Entries):
        schema = {
            "type": ["array", "null"] if value.nullable else "array",
            "items": _value(value.item, key, kind_schema, defs),
        }
        return schema if value.max_items is None else {**schema, "maxItems": value.max_items}
    return kind_schema(value, key, defs)


def document(
    *, schema_id: str, title: str, description: str, body: dict[str, Any], defs: dict[str, Any]
) -> dict[str, Any]:
    """A draft 2020-12 schema document around a generated body and its definitions."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        "description": description,
        **body,
        "$defs": defs,
    }


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as a shipped file holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_or_check(argv: Sequence[str] | None, *, prog: str, what: str, shipped: Path, text: Callable[[], str]) -> int:
    """Write the shipped schema from its shape, or with --check say whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Write (or --check) the JSON Schema of {what}.")
    parser.add_argument("--check", action="store_true", help="compare only: exit 1 when the file is not up to date")
    parser.add_argument("--path", type=Path, default=shipped, help=f"the schema file (default: {shipped})")
    args = parser.parse_args(argv)
    wanted = text()
    path: Path = args.path
    if args.check:
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"{path}: cannot be read ({exc.strerror or exc}); write it with `{prog}`")
            return 1
        if current != wanted:
            print(f"{path} is not the schema the shape gives: write it with `{prog}`")
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(wanted, encoding="utf-8")
    print(f"wrote {path}")
    return 0
