"""New FAQ entries from what staff answered: an escalation staff replied to is offered with the
customer's words as the question and staff's reply as the answer, editable, added in one step
(or dismissed), each offered once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.audit.record import record
from app.errors import Conflict, NotFound
from app.kb import repo
from app.kb.embeddings import Embedder
from app.kb.service import create_faq
from app.workspaces.context import WorkspaceContext


async def list_suggestions(ws: WorkspaceContext, *, limit: int, after: Any) -> list[dict[str, Any]]:
    ws.require("manager")
    async with ws.session() as conn:
        return await repo.faq_suggestions(
            conn, workspace_id=ws.workspace_id, limit=limit, after=after
        )


async def _suggestion(ws: WorkspaceContext, escalation_id: UUID) -> dict[str, Any]:
    async with ws.session() as conn:
        rows = await repo.faq_suggestions(
            conn, workspace_id=ws.workspace_id, limit=1, escalation_id=escalation_id
        )
    if not rows:
        raise NotFound(
            "no open FAQ suggestion for this escalation (not answered by staff, or already added "
            "or dismissed)",
            error_code="suggestion_not_found",
        )
    return rows[0]


async def accept(
    ws: WorkspaceContext,
    embedder: Embedder,
    escalation_id: UUID,
    *,
    question: str | None,
    answer: str | None,
) -> dict[str, Any]:
    """Add it as an FAQ entry, as offered or as edited."""
    ws.require("manager")
    offered = await _suggestion(ws, escalation_id)
    entry = await create_faq(
        ws,
        embedder,
        question=question or offered["question"],
        answer=answer or offered["answer"],
    )
    async with ws.session() as conn:
        if not await repo.record_suggestion_outcome(
            conn,
            workspace_id=ws.workspace_id,
            escalation_id=escalation_id,
            outcome="added",
            faq_id=entry["id"],
            user_id=ws.principal.user_id,
        ):
            await repo.delete_faq(conn, workspace_id=ws.workspace_id, faq_id=entry["id"])
            raise Conflict(
                "someone else decided on this suggestion", error_code="suggestion_decided"
            )
        await record(
            conn, ws, "faq.suggestion_added", "faq", entry["id"], escalation=str(escalation_id)
        )
    return entry


async def dismiss(ws: WorkspaceContext, escalation_id: UUID) -> None:
    ws.require("manager")
    await _suggestion(ws, escalation_id)
    async with ws.session() as conn:
        await repo.record_suggestion_outcome(
            conn,
            workspace_id=ws.workspace_id,
            escalation_id=escalation_id,
            outcome="dismissed",
            faq_id=None,
            user_id=ws.principal.user_id,
        )
        await record(conn, ws, "faq.suggestion_dismissed", "escalation", escalation_id)
