"""Output schemas that say the same as pydantic's but cost MCP clients less to check.

MCP clients validate every structured result against the tool's output schema. Most of a
cached call's time in the Python client goes there (see BENCHMARKS.md), and `$ref`
resolution and `anyOf: [T, null]` branches are its dearest parts. `compact_schema` rewrites
both into equivalent plain forms; tests check both schemas agree on real and bad results.
"""

from __future__ import annotations

import copy
from typing import Any

_TYPES = {"string", "integer", "number", "boolean", "object", "array"}
# Keywords that constrain only instances of their own type, so they leave `null` alone
# once the branch is merged into `type: [T, "null"]`. Anything else (enum, const...) would
# start rejecting null, so such a branch is left as it is.
_TYPE_SPECIFIC = {
    "type",
    "format",
    "title",
    "description",
    "default",
    "examples",
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
}


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An equivalent JSON Schema with non-recursive `$ref`s inlined and nullable types merged."""
    defs: dict[str, Any] = schema.get("$defs", {})
    recursive = {name for name in defs if _reaches(defs, name, name, set())}
    out: dict[str, Any] = _rewrite(
        {k: v for k, v in schema.items() if k != "$defs"}, defs, recursive
    )
    kept = {name: _rewrite(defs[name], defs, recursive) for name in sorted(recursive)}
    if kept:
        out["$defs"] = kept
    return out


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return ref.removeprefix("#/$defs/")
    return None


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {name} if (name := _ref_name(node)) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _reaches(defs: dict[str, Any], start: str, target: str, seen: set[str]) -> bool:
    for name in _refs(defs.get(start, {})):
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            if _reaches(defs, name, target, seen):
                return True
    return False


def _rewrite(node: Any, defs: dict[str, Any], recursive: set[str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(v, defs, recursive) for v in node]
    if not isinstance(node, dict):
        return node
    name = _ref_name(node)
    if name is not None and name not in recursive and name in defs:
        # Siblings of $ref (a description, say) stay; the target's keywords fill the rest.
        target = _rewrite(copy.deepcopy(defs[name]), defs, recursive)
        siblings = {k: _rewrite(v, defs, recursive) for k, v in node.items() if k != "$ref"}
        return {**target, **siblings}
    out = {k: _rewrite(v, defs, recursive) for k, v in node.items()}
    merged = _nullable(out.get("anyOf"))
    if merged is not None:
        del out["anyOf"]
        out = {**merged, **out}
    return out


def _nullable(branches: Any) -> dict[str, Any] | None:
    """`anyOf: [{type: T, ...}, {type: null}]` as `{type: [T, "null"], ...}`, when equivalent."""
    if not isinstance(branches, list) or len(branches) != 2:
        return None
    nulls = [b for b in branches if b == {"type": "null"}]
    others = [b for b in branches if b != {"type": "null"}]
    if len(nulls) != 1 or len(others) != 1:
        return None
    other = others[0]
    if other.get("type") not in _TYPES or not set(other) <= _TYPE_SPECIFIC:
        return None
    return {**other, "type": [other["type"], "null"]}
