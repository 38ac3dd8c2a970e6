"""One row in every tenant table for a workspace, inserted through whatever connection is given:
the superuser arranges data with it, and the isolation tests replay the same inserts inside
another tenant's session to prove they are refused."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg.types.json import Jsonb

Refs = dict[str, Any]
Maker = Callable[[Any, str, Refs], Awaitable[Refs]]


async def _one(conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
    cur = await conn.execute(sql + " returning *", params)
    return await cur.fetchone()


def _uid() -> str:
    return uuid.uuid4().hex


async def social_account(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s)",
        (ws, _uid()),
    )
    return {"social_account_id": row["id"]}


async def contact(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, 'instagram', %s)",
        (ws, refs["social_account_id"], _uid()),
    )
    return {"contact_id": row["id"]}


async def conversation(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into conversations (workspace_id, social_account_id, contact_id, channel) values (%s, %s, %s, 'instagram_dm')",
        (ws, refs["social_account_id"], refs["contact_id"]),
    )
    return {"conversation_id": row["id"]}


async def message(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into messages (workspace_id, conversation_id, direction, sender, text, platform_message_id) values (%s, %s, 'inbound', 'contact', 'hi', %s)",
        (ws, refs["conversation_id"], _uid()),
    )
    return {}


async def post(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into posts (workspace_id, social_account_id, platform_media_id) values (%s, %s, %s)",
        (ws, refs["social_account_id"], _uid()),
    )
    return {}


async def comment(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into comments (workspace_id, social_account_id, platform_comment_id, text) values (%s, %s, %s, 'nice')",
        (ws, refs["social_account_id"], _uid()),
    )
    return {}


async def scheduled_post(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into scheduled_posts (workspace_id, social_account_id, media_type, publish_at) values (%s, %s, 'IMAGE', now())",
        (ws, refs["social_account_id"]),
    )
    return {}


async def ai_decision(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into ai_decisions (workspace_id, conversation_id, decision) values (%s, %s, 'respond')",
        (ws, refs["conversation_id"]),
    )
    return {"decision_id": row["id"]}


async def escalation(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into escalations (workspace_id, conversation_id, decision_id, reason) values (%s, %s, %s, 'asked for a human')",
        (ws, refs["conversation_id"], refs["decision_id"]),
    )
    return {"escalation_id": row["id"]}


async def decision_feedback(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into decision_feedback (workspace_id, decision_id, user_id, verdict)"
        " values (%s, %s, gen_random_uuid(), 'good')",
        (ws, refs["decision_id"]),
    )
    return {}


async def faq_suggestion_outcome(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into faq_suggestion_outcomes (workspace_id, escalation_id, outcome)"
        " values (%s, %s, 'dismissed')",
        (ws, refs["escalation_id"]),
    )
    return {}


async def kb_document(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into kb_documents (workspace_id, title, source_type) values (%s, 'Prices', 'text')",
        (ws,),
    )
    return {"document_id": row["id"]}


async def kb_chunk(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into kb_chunks (workspace_id, document_id, chunk_index, content) values (%s, %s, 0, 'secret price list')",
        (ws, refs["document_id"]),
    )
    return {}


async def faq(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn, "insert into faq (workspace_id, question, answer) values (%s, 'Q?', 'A.')", (ws,)
    )
    return {}


async def webhook_event(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into webhook_events (workspace_id, platform, kind, account_external_id, dedupe_key, payload) values (%s, 'instagram', 'dm', 'x', %s, %s)",
        (ws, _uid(), Jsonb({"text": "hi"})),
    )
    return {}


async def outbound_message(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into outbound_messages (workspace_id, conversation_id, idempotency_key, kind, recipient, payload) values (%s, %s, %s, 'dm', 'x', %s)",
        (ws, refs["conversation_id"], _uid(), Jsonb({})),
    )
    return {}


async def analytics_day(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into analytics_daily (workspace_id, day, channel) values (%s, current_date - (random() * 1000)::int, 'instagram_dm')",
        (ws,),
    )
    return {}


async def audit_entry(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(conn, "insert into audit_log (workspace_id, action) values (%s, 'test')", (ws,))
    return {}


async def member(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into workspace_members (workspace_id, user_id, role) values (%s, %s, 'agent')",
        (ws, str(uuid.uuid4())),
    )
    return {}


async def invite(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into workspace_invites (workspace_id, email, role, token_hash, expires_at)"
        " values (%s, %s, 'owner', %s, now() + interval '1 day')",
        (ws, f"{_uid()}@example.com", _uid()),
    )
    return {}


async def media_asset(conn: Any, ws: str, refs: Refs) -> Refs:
    key = _uid()
    await _one(
        conn,
        "insert into media_assets (workspace_id, kind, content_type, size_bytes, storage_key,"
        " public_url) values (%s, 'image', 'image/jpeg', 10, %s, %s)",
        (ws, key, f"https://media.example/{key}.jpg"),
    )
    return {}


async def canned_reply(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into canned_replies (workspace_id, title, text) values (%s, 'Hours', 'We open at 8')",
        (ws,),
    )
    return {}


async def webhook_endpoint(conn: Any, ws: str, refs: Refs) -> Refs:
    row = await _one(
        conn,
        "insert into webhook_endpoints (workspace_id, url, events, secret_encrypted)"
        " values (%s, 'https://hooks.example/in', '{message.received}', 'x')",
        (ws,),
    )
    return {"webhook_endpoint_id": row["id"]}


async def webhook_delivery(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)"
        " values (%s, %s, gen_random_uuid(), 'ping', '{}')",
        (ws, refs["webhook_endpoint_id"]),
    )
    return {}


async def member_alert_setting(conn: Any, ws: str, refs: Refs) -> Refs:
    await _one(
        conn,
        "insert into member_alert_settings (workspace_id, user_id, new_escalations)"
        " values (%s, gen_random_uuid(), true)",
        (ws,),
    )
    return {}


async def ai_settings(conn: Any, ws: str, refs: Refs) -> Refs:
    # every workspace already has its settings row (made with the workspace); a second one for
    # another workspace is what an attacker would try
    await _one(
        conn,
        "insert into ai_settings (workspace_id) values (%s) on conflict (workspace_id) do update set persona = 'pwned'",
        (ws,),
    )
    return {}


# In dependency order; keys are table names.
ROW_MAKERS: dict[str, Maker] = {
    "social_accounts": social_account,
    "contacts": contact,
    "conversations": conversation,
    "messages": message,
    "posts": post,
    "comments": comment,
    "scheduled_posts": scheduled_post,
    "ai_decisions": ai_decision,
    "escalations": escalation,
    "decision_feedback": decision_feedback,
    "faq_suggestion_outcomes": faq_suggestion_outcome,
    "kb_documents": kb_document,
    "kb_chunks": kb_chunk,
    "faq": faq,
    "webhook_events": webhook_event,
    "outbound_messages": outbound_message,
    "analytics_daily": analytics_day,
    "audit_log": audit_entry,
    "workspace_members": member,
    "workspace_invites": invite,
    "media_assets": media_asset,
    "canned_replies": canned_reply,
    "webhook_endpoints": webhook_endpoint,
    "webhook_deliveries": webhook_delivery,
    "member_alert_settings": member_alert_setting,
    "ai_settings": ai_settings,
}


async def seed_all(conn: Any, ws: str) -> Refs:
    refs: Refs = {}
    for table, make in ROW_MAKERS.items():
        if table == "ai_settings":
            continue  # exists already
        refs.update(await make(conn, ws, refs))
    return refs
