"""An MCP transport over the stdin/stdout pipes of a `wallie serve` child started earlier.

No pydantic-ai here: the retrieval-only loop uses it with the SDK's `Client` alone.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO

import anyio
import anyio.to_thread
import mcp_types
from mcp.client._transport import TransportStreams
from mcp.shared.message import SessionMessage


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
