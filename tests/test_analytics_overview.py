"""The analytics overview, read live: today's messages, the bot's rates, first-response times
by bot and staff, comments hidden and posts published count at once, in the workspace's time
zone; another workspace's activity never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.factories import create_workspace, register
from tests.support.servers import free_port


def _conversation(admin: Any, ws: str, contact: str) -> tuple[str, str]:
    account = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s)"
        " on conflict (platform, external_id) do update set external_id = excluded.external_id"
        " returning id",
        (ws, f"acct-{ws}"),
    ).fetchone()["id"]
    contact_id = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id)"
        " values (%s, %s, 'instagram', %s) returning id",
        (ws, account, contact),
    ).fetchone()["id"]
    conversation = admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel)"
        " values (%s, %s, %s, 'instagram_dm') returning id",
        (ws, account, contact_id),
    ).fetchone()["id"]
    return str(conversation), str(account)


def _message(
    admin: Any, ws: str, conversation: str, direction: str, sender: str, at: datetime
) -> None:
    admin.execute(
        "insert into messages (workspace_id, conversation_id, direction, sender, text, sent_at)"
        " values (%s, %s, %s, %s, 'x', %s)",
        (ws, conversation, direction, sender, at),
    )


async def test_todays_activity_counts_at_once(client, admin) -> None:
    owner = await register(client, "numbers")
    ws = (await create_workspace(client, owner))["id"]
    other = await register(client, "numbers-other")
    other_ws = (await create_workspace(client, other))["id"]
    now = datetime.now(UTC) - timedelta(minutes=1)
    fast, slow = _conversation(admin, ws, "c1")[0], _conversation(admin, ws, "c2")[0]
    _message(admin, ws, fast, "inbound", "contact", now - timedelta(seconds=10))
    _message(admin, ws, fast, "outbound", "bot", now - timedelta(seconds=8))  # 2 s
    _message(admin, ws, slow, "inbound", "contact", now - timedelta(seconds=600))
    _message(admin, ws, slow, "outbound", "human", now - timedelta(seconds=300))  # 300 s
    for decision in ("respond", "respond", "respond", "escalate"):
        admin.execute(
            "insert into ai_decisions (workspace_id, conversation_id, decision, reasons)"
            " values (%s, %s, %s, '{}')",
            (ws, fast, decision),
        )
    theirs = _conversation(admin, other_ws, "c9")[0]
    _message(admin, other_ws, theirs, "inbound", "contact", now)

    response = await client.get("/api/analytics/overview", headers=owner.headers(ws))
    assert response.status_code == 200, response.text
    body = response.json()
    today = datetime.now(UTC).date()
    assert (body["from"], body["to"]) == (str(today - timedelta(days=6)), str(today))
    assert body["timezone"] == "UTC"
    assert body["messages_in"] == 2 and body["messages_out"] == 2
    assert body["channels"]["instagram_dm"] == {
        "messages_in": 2,
        "messages_out": 2,
        "auto_replied": 1,
    }
    assert body["auto_reply_rate"] == 0.75 and body["escalation_rate"] == 0.25
    assert body["first_response"]["bot"] == {"count": 1, "median_ms": 2000, "p90_ms": 2000}
    assert body["first_response"]["staff"]["median_ms"] == 300_000
    earlier = await client.get(
        "/api/analytics/overview",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        headers=owner.headers(ws),
    )
    assert earlier.json()["messages_in"] == 0
    backwards = await client.get(
        "/api/analytics/overview",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=owner.headers(ws),
    )
    assert (
        backwards.status_code == 400 and backwards.json()["detail"]["error_code"] == "invalid_range"
    )


async def test_a_shared_answer_is_the_computed_one(client, app, admin) -> None:
    """Staff opening the page together share the message figures for a minute: what the cache
    gives back is exactly what was computed, what staff do is counted afresh, and without Redis
    the figures are still computed."""
    from uuid import UUID

    import redis.asyncio as aioredis

    from app.analytics import overview as overview_service
    from app.workspaces.context import WorkspaceContext

    owner = await register(client, "shared")
    ws = (await create_workspace(client, owner))["id"]
    conversation = _conversation(admin, ws, "c1")[0]
    _message(
        admin, ws, conversation, "inbound", "contact", datetime.now(UTC) - timedelta(minutes=2)
    )
    admin.execute(
        "insert into audit_log (workspace_id, actor_user_id, action, target_type)"
        " values (%s, %s, 'conversation.reply', 'outbound_message')",
        (ws, owner.user_id),
    )
    context = WorkspaceContext(
        pool=app.state.pool,
        principal=app.state.verifier.verify(owner.access_token),
        workspace_id=UUID(ws),
        role="owner",
    )
    redis = app.state.redis
    computed = await overview_service.overview(
        context, start=None, end=None, cache=redis, cache_s=60
    )
    assert computed["messages_in"] == 1
    assert computed["per_agent"] == [{"user_id": UUID(owner.user_id), "replies": 1}]
    shared = await overview_service.overview(context, start=None, end=None, cache=redis, cache_s=60)
    assert shared == computed
    # what staff do is counted afresh, shared message figures or not
    admin.execute(
        "insert into audit_log (workspace_id, actor_user_id, action, target_type)"
        " values (%s, %s, 'conversation.reply', 'outbound_message')",
        (ws, owner.user_id),
    )
    later = await overview_service.overview(context, start=None, end=None, cache=redis, cache_s=60)
    assert later["per_agent"] == [{"user_id": UUID(owner.user_id), "replies": 2}]
    assert later["messages_in"] == computed["messages_in"]
    first = await client.get("/api/analytics/overview", headers=owner.headers(ws))
    again = await client.get("/api/analytics/overview", headers=owner.headers(ws))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["messages_in"] == 1

    # a Redis that is not there (nothing listens on the port): the figures are computed anyway
    unreachable = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1)
    try:
        without = await overview_service.overview(
            context, start=None, end=None, cache=unreachable, cache_s=60
        )
    finally:
        await unreachable.aclose()
    assert without == later
