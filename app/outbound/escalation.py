"""Opening an escalation: the conversation goes to staff, and the workspace's integrations hear
of it in the same transaction (app/integrations/events.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db.session import Conn
from app.integrations import events as integration_events
from app.outbound import repo


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
    """The new escalation's id; None when the conversation already had one open."""
    created = await repo.open_escalation(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        reason=reason,
        draft=draft,
        decision_id=decision_id,
        event_id=event_id,
    )
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
