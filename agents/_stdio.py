"""An MCP server's tools as a pydantic-ai toolset, over the MCP SDK's own `Client`.

pydantic-ai's `MCPToolset` goes through fastmcp, whose import costs a large share of
`wallie ask`'s start-up; the SDK's `Client` is already loaded, so Wallie's own server (in
process, or a `wallie serve` child on stdio) and configured stdio servers use it. Remote
servers keep `MCPToolset` (imported only when asked for).
"""

from __future__ import annotations

import subprocess
from contextlib import AsyncExitStack
from typing import Any

import pydantic_core
from mcp import Client, StdioServerParameters
from mcp.types import TextContent
from pydantic_ai import RunContext, ToolDefinition
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool

from agents._pipe import pipe_transport

_ARGS = pydantic_core.SchemaValidator(
    pydantic_core.core_schema.dict_schema(
        pydantic_core.core_schema.str_schema(), pydantic_core.core_schema.any_schema()
    )
)


class ClientToolset(AbstractToolset[Any]):
    """The tools of an MCP server reached by an SDK `Client`; a failed call is a failed result."""

    def __init__(
        self,
        server: StdioServerParameters | Any,
        *,
        read_timeout: float = 60,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.server = server  # what `Client` accepts: stdio parameters, an in-process server...
        self.process = process  # already started with `server`: used by the first connection
        self._read_timeout = read_timeout
        self._stack: AsyncExitStack | None = None
        self._client: Client | None = None
        self._entered = 0

    @property
    def id(self) -> str:
        """The toolset's id in pydantic-ai's messages."""
        return "wallie"

    async def __aenter__(self) -> ClientToolset:
        """Connect (once, however often the toolset is entered)."""
        if self._entered == 0:
            stack = AsyncExitStack()
            server: Any = self.server
            if self.process is not None:
                server, self.process = pipe_transport(self.process), None
            client = Client(server, read_timeout_seconds=self._read_timeout)
            self._client = await stack.enter_async_context(client)
            self._stack = stack
        self._entered += 1
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        """Disconnect (a stdio server stops) when the last user leaves."""
        self._entered -= 1
        if self._entered == 0 and self._stack is not None:
            stack, self._stack, self._client = self._stack, None, None
            await stack.aclose()
        return None

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        """The server's tools, as tool definitions for the model."""
        assert self._client is not None, "enter the toolset first"
        listed = await self._client.list_tools()
        return {
            tool.name: ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(
                    name=tool.name,
                    description=tool.description,
                    parameters_json_schema=tool.input_schema,
                ),
                max_retries=ctx.max_retries,
                args_validator=_ARGS,
            )
            for tool in listed.tools
        }

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        """The tool's structured content (or its text); an error result raises ToolFailed."""
        assert self._client is not None, "enter the toolset first"
        result = await self._client.call_tool(name, tool_args)
        text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
        if result.is_error:
            raise ToolFailed(message=text or f"tool {name!r} returned an error")
        return result.structured_content if result.structured_content is not None else text
