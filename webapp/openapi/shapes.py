"""JSON Schema shapes for the OpenAPI description: the constants and helpers every part uses.

``obj`` makes a closed object (only its listed properties), ``arr``, ``enum``, ``ref``,
``maybe`` (a component or null) and ``desc`` the rest; ``STR``, ``NSTR``, ``NNUM``, ``COUNT``
and ``TRUE`` are the common leaves. Plain dicts, no Flask.
"""

from __future__ import annotations

from typing import Any

STR: dict[str, Any] = {"type": "string"}
NSTR: dict[str, Any] = {"type": ["string", "null"]}
NNUM: dict[str, Any] = {"type": ["number", "null"]}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
TRUE: dict[str, Any] = {"const": True}
JSON = "application/json"


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def maybe(name: str) -> dict[str, Any]:
    """A schema component, or null."""
    return {"anyOf": [ref(name), {"type": "null"}]}


def arr(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def enum(values: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), **extra}


def desc(schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {**schema, "description": text}


def obj(props: dict[str, Any], required: tuple[str, ...] | None = None, **extra: Any) -> dict:
    """A closed object: only the listed properties, all required unless ``required`` says."""
    needed = list(props if required is None else required)
    schema = {"type": "object", "properties": props, "required": needed}
    return {**schema, "additionalProperties": False, **extra}
