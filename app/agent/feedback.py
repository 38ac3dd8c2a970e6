"""Staff mark a bot's reply good or wrong. A wrong one puts the FAQ entries it cited under review
(the offline responder trusts them less until someone edits them), and analytics count both as
answer quality."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.agent import decisions_repo
from app.audit.record import record
from app.db.session import Claims, tenant_session
from app.errors import NotFound
from app.kb import repo as kb_repo
from app.workspaces.context import WorkspaceContext


async def give_feedback(
    ws: WorkspaceContext, decision_id: UUID, *, verdict: str, note: str | None
) -> dict[str, Any]:
    async with ws.session() as conn:
        decision = await decisions_repo.get_decision(
            conn, workspace_id=ws.workspace_id, decision_id=decision_id
        )
        if decision is None:
            raise NotFound("no such decision in this workspace", error_code="decision_not_found")
        row = await decisions_repo.put_feedback(
            conn,
            workspace_id=ws.workspace_id,
            decision_id=decision_id,
            user_id=ws.principal.user_id,
            verdict=verdict,
            note=note,
        )
        cited = [
            str(source["id"])
            for source in decision["sources"] or []
            if isinstance(source, dict) and source.get("kind") == "faq" and source.get("id")
        ]
        await record(
            conn, ws, "decision.feedback", "ai_decision", decision_id, verdict=verdict, faq=cited
        )
    flagged: list[str] = []
    if verdict == "wrong" and cited:
        # any member may flag a reply; the entries themselves are the managers' to edit, so
        # the review mark is the workspace's own doing (the worker scope), not the member's
        async with tenant_session(ws.pool, Claims.for_worker(ws.workspace_id)) as conn:
            flagged = await kb_repo.put_under_review(
                conn, workspace_id=ws.workspace_id, faq_ids=cited
            )
    return {**row, "faq_under_review": flagged}
