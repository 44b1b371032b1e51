"""Resources: a client's profile and a conversation's transcript, by id."""

from __future__ import annotations

import re

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from server import _budget, _render
from server._state import ServerState
from tools import cursors, history
from tools.errors import DatabaseUnavailable, NotFound, database_unavailable
from tools.schemas import HistoryPage

_ID = re.compile(r"[0-9]{1,10}")


def resource_id(value: str, what: str) -> int:
    """A URI's id part as a stored id, or a clear ResourceNotFoundError."""
    if not _ID.fullmatch(value) or not 1 <= int(value) <= cursors.MAX_ID:
        raise ResourceNotFoundError(
            f"{what} id must be a number from 1 to {cursors.MAX_ID}, got {value[:20]!r}"
        )
    return int(value)


def register(app: MCPServer[ServerState], state: ServerState) -> None:
    """Add the client and conversation resources to `app`."""

    @app.resource(
        "wallie://clients/{client_id}",
        name="client",
        title="Client profile",
        description="A client's profile as JSON.",
        mime_type="application/json",
    )
    async def client_resource(client_id: str) -> str:
        """A client's profile as JSON."""
        number = resource_id(client_id, "client")
        try:
            with database_unavailable():
                profile = await history.get_client(state.database, await state.owner_id(), number)
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except DatabaseUnavailable as exc:
            raise ResourceError(str(exc)) from None
        return _budget.cut(profile.model_dump_json(indent=2), state.settings.output_budget)

    @app.resource(
        "wallie://conversations/{conversation_id}",
        name="conversation",
        title="Conversation transcript",
        description="A conversation as a readable transcript (its latest messages that fit "
        "the output budget; older ones through get_conversation_history).",
        mime_type="text/plain",
    )
    async def conversation_resource(conversation_id: str) -> str:
        """A conversation as a readable transcript."""
        number = resource_id(conversation_id, "conversation")
        try:
            with database_unavailable():
                return await _transcript(state, number)
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except DatabaseUnavailable as exc:
            raise ResourceError(str(exc)) from None


async def _transcript(state: ServerState, conversation_id: int) -> str:
    owner = await state.owner_id()
    summary = await history.get_conversation(state.database, owner, conversation_id)
    page = await history.conversation_history(
        state.database, owner, conversation_id=conversation_id, limit=200
    )
    client_id = page.messages[0].client_id if page.messages else None
    name = (
        (await history.get_client(state.database, owner, client_id)).name
        if client_id
        else "unknown client"
    )
    budget = state.settings.output_budget

    def render(p: HistoryPage) -> str:
        return _render.transcript(summary, name, p)

    fitted = _budget.fit(page, render, budget, {})
    return _budget.cut(render(fitted), budget)
