"""Redis down during webhooks: the request still succeeds once the event is committed, and the
sweeper enqueues it when Redis is back."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from app.webhooks import service as webhooks_service
from tests.support.factories import create_workspace, register
from tests.support.meta import fixture, meta_bytes, personalize, signed_headers
from tests.support.servers import needs_embedded_redis
from tests.support.webhooks import enqueued_event_ids, events_for


@pytest.fixture
async def ig_account(client, servers) -> str:
    owner = await register(client)
    ws = (await create_workspace(client, owner))["id"]
    ig = str(uuid.uuid4().int)[:17]
    async with await psycopg.AsyncConnection.connect(
        servers.admin_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute(
            "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s)",
            (ws, ig),
        )
    return ig


@needs_embedded_redis
async def test_broker_down_then_swept(
    client, settings, servers, ig_account, admin, redis_client
) -> None:
    redis_client.delete("high", "default", "low")
    payload = personalize(fixture("ig_dm_text"), ig_account, uuid.uuid4().hex[:8])
    body = meta_bytes(payload)
    servers.valkey.stop()
    try:
        response = await client.post(
            "/webhooks/instagram",
            content=body,
            headers=signed_headers(body, settings.meta_app_secret.get_secret_value()),
        )
        assert response.status_code == 200, "Meta must not see a failure while our broker is down"
        [event] = events_for(admin, ig_account)
        assert event["status"] == "pending"
    finally:
        servers.valkey.start()
    assert enqueued_event_ids(redis_client) == []

    pool = client._transport.app.state.pool
    redis = client._transport.app.state.redis
    fresh = settings.model_copy(update={"webhook_sweep_pending_after_s": 0})
    assert await webhooks_service.sweep_stale_events(fresh, pool, redis) >= 1
    [event] = events_for(admin, ig_account)
    assert event["status"] == "enqueued"
    assert event["id"] in enqueued_event_ids(redis_client)
    # a second sweep leaves a freshly enqueued event alone
    redis_client.delete("high", "default", "low")
    await webhooks_service.sweep_stale_events(fresh, pool, redis)
    assert event["id"] not in enqueued_event_ids(redis_client)
