"""Published output schemas are compacted, and accept and reject exactly what pydantic's do."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, Literal

import jsonschema
import pytest
from mcp import Client
from pydantic import BaseModel, TypeAdapter

from server._schema import compact_schema
from server.app import build_server
from tests.server.conftest import Dataset

pytestmark = pytest.mark.anyio


def pydantic_schema(model: Any) -> dict[str, Any]:
    """The schema pydantic derives for a tool's return type, before compaction."""
    return TypeAdapter(model).json_schema(mode="serialization")


def accepts(schema: dict[str, Any], instance: Any) -> bool:
    """Whether `instance` is valid under `schema` (Draft 2020-12, as MCP clients use)."""
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


def mutations(value: Any) -> Iterator[Any]:
    """Copies of `value` with one leaf or key changed: null, wrong types, missing keys."""
    if isinstance(value, dict):
        for key in value:
            without = copy.deepcopy(value)
            del without[key]
            yield without
            for changed in mutations(value[key]):
                copied = copy.deepcopy(value)
                copied[key] = changed
                yield copied
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            for changed in mutations(item):
                copied = copy.deepcopy(value)
                copied[i] = changed
                yield copied
        yield None
    else:
        yield from (None, 7, 2.5, "seven", True, [], {})


async def test_published_schemas_have_no_refs_or_nullable_any_of(dataset: Dataset) -> None:
    async with Client(build_server(dataset.settings())) as client:
        tools = (await client.list_tools()).tools
    text = str([t.output_schema for t in tools])
    assert "$ref" not in text and "$defs" not in text
    assert "{'type': 'null'}" not in text
    assert all(t.output_schema for t in tools)


async def test_compact_and_pydantic_schemas_agree_on_real_and_broken_results(
    dataset: Dataset,
) -> None:
    server = build_server(dataset.settings())
    models = {t.name: t.fn_metadata.output_model for t in server._tool_manager.list_tools()}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("search_clients", {"query": "garcia", "limit": 3}),
        ("search_messages", {"query": "presupuesto", "limit": 3}),
        ("analyze_sentiment", {"text": "Muy contento con el servicio"}),
        ("cache_stats", {}),
    ]
    async with Client(server) as client:
        first = (
            await client.call_tool("search_clients", {"query": "José García"})
        ).structured_content
        client_id = first["clients"][0]["id"]
        calls += [
            ("get_client", {"client_id": client_id}),
            ("get_conversation_history", {"client_id": client_id, "limit": 3}),
            ("get_client_insights", {"client_id": client_id}),
        ]
        published = {t.name: t.output_schema for t in (await client.list_tools()).tools}
        checked = 0
        for tool, args in calls:
            result = await client.call_tool(tool, args)
            assert not result.is_error, result.content[0].text
            original = pydantic_schema(models[tool])
            compact = published[tool]
            assert compact == compact_schema(original)
            assert accepts(original, result.structured_content)
            assert accepts(compact, result.structured_content)
            rejected = 0
            for broken in mutations(result.structured_content):
                verdict = accepts(original, broken)
                assert accepts(compact, broken) == verdict, (tool, broken)
                rejected += not verdict
                checked += 1
            assert rejected > 0, tool  # the mutations really exercised the schema
    assert checked > 500


class Node(BaseModel):
    """A recursive model: its definition must stay a `$ref`."""

    name: str
    kind: Literal["a", "b"] | None = None
    children: list[Node] = []


def test_recursive_refs_stay_and_nullable_enums_keep_rejecting_other_values() -> None:
    original = pydantic_schema(Node)
    compact = compact_schema(original)
    assert "Node" in compact["$defs"]
    good = {"name": "root", "kind": None, "children": [{"name": "leaf", "kind": "a"}]}
    for instance, valid in [
        (good, True),
        ({"name": "root", "children": [{"name": "leaf", "kind": "c"}]}, False),
        ({"name": "root", "children": [{"kind": "a"}]}, False),
        ({"name": None}, False),
    ]:
        assert accepts(original, instance) is valid
        assert accepts(compact, instance) is valid


def test_nullable_scalars_merge_into_a_type_list() -> None:
    class Row(BaseModel):
        note: str | None = None
        score: float | None = None

    compact = compact_schema(pydantic_schema(Row))
    assert compact["properties"]["note"]["type"] == ["string", "null"]
    assert compact["properties"]["score"]["type"] == ["number", "null"]
    assert accepts(compact, {"note": None, "score": 0.5})
    assert not accepts(compact, {"note": 3})
