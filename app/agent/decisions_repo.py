"""SQL for the agent's decisions (`ai_decisions`), one row per decision with its reasons."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.session import Conn
from app.db.trips import Query


def insert_decision_query(
    *,
    decision_id: UUID | None = None,
    workspace_id: UUID | str,
    conversation_id: UUID | str | None,
    event_id: int | None,
    action: str,
    text: str | None,
    confidence: float | None,
    reasons: list[str],
    citations: list[dict[str, Any]],
    model: str | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    latency_ms: int | None,
) -> Query:
    """`decision_id`: chosen by the caller when it writes rows that refer to it in the same trip."""
    return Query(
        """
        insert into public.ai_decisions
            (id, workspace_id, conversation_id, webhook_event_id, decision, reply_text, confidence, reasons, sources,
             model, prompt_tokens, completion_tokens, latency_ms)
        values (coalesce(%(id)s, gen_random_uuid()), %(ws)s, %(conv)s, %(event)s, %(decision)s, %(reply)s, %(confidence)s, %(reasons)s, %(sources)s,
                %(model)s, %(pt)s, %(ct)s, %(latency)s)
        returning id
        """,
        {
            "id": decision_id,
            "ws": workspace_id,
            "conv": conversation_id,
            "event": event_id,
            "decision": action,
            "reply": text,
            "confidence": confidence,
            "reasons": Jsonb(reasons),
            "sources": Jsonb(citations),
            "model": model,
            "pt": prompt_tokens,
            "ct": completion_tokens,
            "latency": latency_ms,
        },
    )


async def get_decision(
    conn: Conn, *, workspace_id: UUID, decision_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, decision, reply_text, sources, created_at from public.ai_decisions"
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": decision_id},
    )
    return await cur.fetchone()


async def put_feedback(
    conn: Conn,
    *,
    workspace_id: UUID,
    decision_id: UUID,
    user_id: UUID,
    verdict: str,
    note: str | None,
) -> dict[str, Any]:
    """One verdict per member and decision: giving another replaces it."""
    cur = await conn.execute(
        """
        insert into public.decision_feedback (workspace_id, decision_id, user_id, verdict, note)
        values (%(ws)s, %(decision)s, %(user)s, %(verdict)s, %(note)s)
        on conflict (decision_id, user_id) do update
           set verdict = excluded.verdict, note = excluded.note, updated_at = now()
        returning decision_id, user_id, verdict, note, created_at, updated_at
        """,
        {
            "ws": workspace_id,
            "decision": decision_id,
            "user": user_id,
            "verdict": verdict,
            "note": note,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def decisions_of(conn: Conn, *, conversation_id: UUID, limit: int) -> list[dict[str, Any]]:
    """The conversation's latest decisions, oldest first, for the thread staff read."""
    cur = await conn.execute(
        """
        select * from (
            select id, decision, reply_text, confidence, reasons, sources, created_at
              from public.ai_decisions where conversation_id = %(id)s
             order by created_at desc limit %(limit)s
        ) d order by created_at
        """,
        {"id": conversation_id, "limit": limit},
    )
    return await cur.fetchall()
