"""Wallie's own `wallie serve` child as a pydantic-ai toolset, over the MCP SDK's stdio client.

pydantic-ai's `MCPToolset` goes through fastmcp, whose import costs a large share of
`wallie ask`'s start-up; the SDK's `Client` is already loaded, so the local server uses it.
Remote and configured servers keep `MCPToolset` (imported only when asked for).
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import IO, Any

import anyio
import anyio.to_thread
import mcp_types
import pydantic_core
from mcp import Client, StdioServerParameters
from mcp.client._transport import TransportStreams
from mcp.shared.message import SessionMessage
from mcp.types import TextContent
from pydantic_ai import RunContext, ToolDefinition
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool

_ARGS = pydantic_core.SchemaValidator(
    pydantic_core.core_schema.dict_schema(
        pydantic_core.core_schema.str_schema(), pydantic_core.core_schema.any_schema()
    )
)


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return exc


def _write(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(data)
    pipe.flush()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Let the server exit after its stdin closed; terminate it if it does not."""
    try:
        process.wait(2)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def pipe_transport(process: subprocess.Popen[bytes]) -> AsyncIterator[TransportStreams]:
    """An MCP transport over the stdin/stdout of a server process started earlier."""
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    incoming, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, outgoing = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        async with incoming:
            while line := await anyio.to_thread.run_sync(stdout.readline):
                try:
                    await incoming.send(_parse(line))
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    return

    async def writer() -> None:
        async with outgoing:
            async for message in outgoing:
                data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await anyio.to_thread.run_sync(_write, stdin, (data + "\n").encode())

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(reader)
        tasks.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                write_stream.close()
                read_stream.close()
                stdin.close()
                await anyio.to_thread.run_sync(_stop, process)  # EOF ends the reader
            tasks.cancel_scope.cancel()


class StdioToolset(AbstractToolset[Any]):
    """The tools of an MCP server started as a subprocess; a failed call is a failed result."""

    def __init__(
        self,
        params: StdioServerParameters,
        *,
        read_timeout: float = 60,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.params = params
        self.process = process  # already started with `params`: used by the first connection
        self._read_timeout = read_timeout
        self._stack: AsyncExitStack | None = None
        self._client: Client | None = None
        self._entered = 0

    @property
    def id(self) -> str:
        """The toolset's id in pydantic-ai's messages."""
        return "wallie"

    async def __aenter__(self) -> StdioToolset:
        """Start the server (once, however often the toolset is entered)."""
        if self._entered == 0:
            stack = AsyncExitStack()
            server: Any = self.params
            if self.process is not None:
                server, self.process = pipe_transport(self.process), None
            client = Client(server, read_timeout_seconds=self._read_timeout)
            self._client = await stack.enter_async_context(client)
            self._stack = stack
        self._entered += 1
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        """Stop the server when the last user leaves."""
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
