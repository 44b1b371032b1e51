"""Fuzzing every tool through its published input schema: a result or a clean error, always."""

from __future__ import annotations

import logging
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from server.app import build_server
from tests.server.conftest import Dataset

pytestmark = pytest.mark.anyio

CALLS_PER_TOOL = 120  # per backend: 240 a tool across SQLite and PostgreSQL


def draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, drawn up front so the calls can run async."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def from_schema(
    schema: dict[str, Any], defs: dict[str, Any] | None = None
) -> st.SearchStrategy[Any]:
    """Values valid for the JSON Schemas our tools publish (objects of scalars and enums).

    Written here because hypothesis-jsonschema no longer works with current hypothesis;
    a schema keyword it does not know fails the test rather than being ignored.
    """
    known = {"type", "properties", "required", "additionalProperties", "title", "description"}
    known |= {"default", "enum", "minimum", "maximum", "minLength", "maxLength", "format"}
    known |= {"anyOf", "$ref", "$defs"}
    assert set(schema) <= known, set(schema) - known
    defs = schema.get("$defs", defs or {})
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].removeprefix("#/$defs/")], defs)
    if "anyOf" in schema:
        return st.one_of([from_schema(branch, defs) for branch in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": t}, defs) for t in types])
    if types == "null":
        return st.none()
    if types == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if types == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if types == "boolean":
        return st.booleans()
    if types == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 600))
    assert types == "object", schema
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {k: from_schema(v, defs) for k, v in properties.items() if k in required},
        optional={k: from_schema(v, defs) for k, v in properties.items() if k not in required},
    )


def hostile_ints() -> st.SearchStrategy[int]:
    """Integers around the edges databases care about."""
    edges = [0, 1, -1, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, 10**30]
    return st.sampled_from(edges) | st.integers()


async def test_every_tool_answers_or_fails_cleanly(
    dataset: Dataset, caplog: pytest.LogCaptureFixture
) -> None:
    server_settings = dataset.settings().model_copy(update={"rate_limit_per_minute": 0})
    async with Client(build_server(server_settings)) as client:
        tools = (await client.list_tools()).tools
        with caplog.at_level(logging.INFO):
            for tool in tools:
                for arguments in draw(from_schema(tool.input_schema), CALLS_PER_TOOL):
                    result = await client.call_tool(tool.name, arguments)
                    text = result.content[0].text if result.content else ""
                    if result.is_error:
                        # A crash reads "Error executing tool X" and nothing else.
                        assert text.strip() != f"Error executing tool {tool.name}", arguments
                        assert len(text) < 600, (arguments, text)
                    else:
                        assert tool.output_schema is not None
                        jsonschema.validate(result.structured_content, tool.output_schema)
                        assert len(text) <= server_settings.output_budget
            for name, arguments in [
                ("get_client", {"client_id": n}) for n in draw(hostile_ints(), 30)
            ]:
                result = await client.call_tool(name, arguments)
                assert result.is_error or result.structured_content is not None
            for template in ("wallie://clients/{}", "wallie://conversations/{}"):
                for part in draw(st.text(min_size=1, max_size=30) | st.integers().map(str), 60):
                    uri = template.format(part)
                    try:
                        await client.read_resource(uri)
                    except MCPError as exc:
                        assert exc.error.code == INVALID_PARAMS, (uri, exc.error)
        crashes = [r for r in caplog.records if r.exc_info or "unexpected" in r.getMessage()]
        assert not crashes, [r.getMessage() for r in crashes]
