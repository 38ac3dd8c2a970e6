"""Escalations: opened by the bot, the send path or ingest (the conversation goes to staff and
the workspace's integrations hear of it, in the caller's transaction), claimed and resolved by
staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.audit.record import record
from app.conversations import record as conversations
from app.db.session import Conn
from app.errors import Conflict, NotFound
from app.escalations import repo
from app.integrations import events as integration_events
from app.workspaces.context import WorkspaceContext


async def open_escalation(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str,
    reason: str,
    draft: str | None,
    decision_id: UUID | None,
    event_id: int | None,
) -> UUID | None:
    """The new escalation's id; None when the conversation already had one open. Either way
    staff hold the conversation now: the bot stays silent in it."""
    created = await repo.open_escalation(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        reason=reason,
        draft=draft,
        decision_id=decision_id,
        event_id=event_id,
    )
    await conversations.hand_to_staff(conn, conversation_id=conversation_id)
    if created is not None:
        await _tell(conn, workspace_id, created, conversation_id, reason, draft)
    return created


async def answered_in_app(
    conn: Conn, *, workspace_id: UUID | str, conversation_id: UUID | str, app_name: str
) -> UUID | None:
    """A reply typed in the platform's own app: an escalation assigned to nobody."""
    created = await repo.note_answered_in_app(
        conn, workspace_id=workspace_id, conversation_id=conversation_id, app_name=app_name
    )
    if created is not None:
        await _tell(
            conn, workspace_id, created, conversation_id, f"answered in the {app_name} app", None
        )
    return created


async def resolve_open(conn: Conn, *, conversation_id: UUID | str) -> int:
    """The conversation starts afresh (handed back, or back to the bot after staff went idle)."""
    return await repo.resolve_open(conn, conversation_id=conversation_id)


async def _tell(
    conn: Conn,
    workspace_id: UUID | str,
    escalation_id: UUID,
    conversation_id: UUID | str,
    reason: str,
    draft: str | None,
) -> None:
    data: dict[str, Any] = {
        "escalation_id": str(escalation_id),
        "conversation_id": str(conversation_id),
        "reason": reason,
        "draft_reply": draft,
    }
    await integration_events.record(conn, workspace_id, integration_events.ESCALATION_OPENED, data)


async def claim(ws: WorkspaceContext, escalation_id: UUID) -> dict[str, Any]:
    """Take an escalation (and its conversation); someone else's claim stands (409)."""
    async with ws.session() as conn:
        claimed = await repo.claim_escalation(
            conn,
            workspace_id=ws.workspace_id,
            escalation_id=escalation_id,
            user_id=ws.principal.user_id,
        )
        if claimed is None:
            existing = await repo.escalation_exists(
                conn, workspace_id=ws.workspace_id, escalation_id=escalation_id
            )
            if existing is None:
                raise NotFound("escalation not found", error_code="escalation_not_found")
            raise Conflict(
                f"this escalation is {existing['status']}"
                + (" by someone else" if existing["status"] == "claimed" else ""),
                error_code="escalation_not_claimable",
            )
        await conversations.hand_to_staff(
            conn, conversation_id=claimed["conversation_id"], assignee=ws.principal.user_id
        )
        await record(conn, ws, "escalation.claim", "escalation", str(escalation_id))
        return claimed


async def claim_if_open(conn: Conn, ws: WorkspaceContext, escalation_id: UUID) -> None:
    """The person who answered an open escalation holds it now (someone else's claim stands)."""
    await repo.claim_escalation(
        conn,
        workspace_id=ws.workspace_id,
        escalation_id=escalation_id,
        user_id=ws.principal.user_id,
    )


async def resolve(ws: WorkspaceContext, escalation_id: UUID, *, hand_back_to_bot: bool) -> None:
    async with ws.session() as conn:
        existing = await repo.escalation_exists(
            conn, workspace_id=ws.workspace_id, escalation_id=escalation_id
        )
        if existing is None:
            raise NotFound("escalation not found", error_code="escalation_not_found")
        await repo.resolve_escalation(conn, escalation_id=escalation_id)
        if hand_back_to_bot:
            await repo.resolve_open(conn, conversation_id=existing["conversation_id"])
            await conversations.return_to_bot(conn, conversation_id=existing["conversation_id"])
        await record(
            conn,
            ws,
            "escalation.resolve",
            "escalation",
            str(escalation_id),
            hand_back=hand_back_to_bot,
        )


async def find(ws: WorkspaceContext, escalation_id: UUID) -> dict[str, Any]:
    async with ws.session() as conn:
        row = await repo.get_escalation(
            conn, workspace_id=ws.workspace_id, escalation_id=escalation_id
        )
    if row is None:
        raise NotFound("escalation not found", error_code="escalation_not_found")
    return row
