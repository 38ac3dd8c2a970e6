"""The sandbox as a developer uses it: play a customer, watch the bot receive signed webhooks
over real HTTP, and a real Celery worker turn them into inbox rows."""

from __future__ import annotations

import time
import uuid

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.factories import create_workspace, register


@pytest.fixture
async def connected(client, servers) -> dict[str, str]:
    owner = await register(client)
    ws = (await create_workspace(client, owner))["id"]
    ig, wa = str(uuid.uuid4().int)[:17], str(uuid.uuid4().int)[:15]
    async with await psycopg.AsyncConnection.connect(
        servers.admin_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute(
            "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s), (%s, 'whatsapp', %s)",
            (ws, ig, ws, wa),
        )
    return {"ws": ws, "ig": ig, "wa": wa}


def _wait_for(admin, sql: str, params: tuple, expected, timeout: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = admin.execute(sql, params).fetchall()
        if value == expected:
            return value
        time.sleep(0.1)
    raise AssertionError(
        f"{value!r} != {expected!r}; events: {admin.execute('select kind, status, last_error, attempts from webhook_events order by id desc limit 5').fetchall()}"
    )


def test_inbound_is_delivered_signed_and_deduplicated(sandbox, connected, admin) -> None:
    response = httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "kind": "dm",
            "account_id": connected["ig"],
            "from": "42",
            "text": "¿Abrís el domingo? 🙂",
            "times": 4,
            "concurrent": True,
        },
    )
    assert response.status_code == 200
    assert response.json()["delivered"] == [200, 200, 200, 200]
    rows = admin.execute(
        "select kind, payload->>'text' as text from webhook_events where account_external_id = %s",
        (connected["ig"],),
    ).fetchall()
    assert rows == [{"kind": "ig_message", "text": "¿Abrís el domingo? 🙂"}]


def test_lost_webhook_is_not_delivered(sandbox, connected, admin) -> None:
    response = httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "account_id": connected["ig"],
            "from": "43",
            "text": "hello?",
            "deliver": False,
        },
    )
    assert response.json()["delivered"] == []
    assert (
        admin.execute(
            "select count(*) as n from webhook_events where account_external_id = %s",
            (connected["ig"],),
        ).fetchone()["n"]
        == 0
    )


def test_outbox_and_faults_controls(sandbox) -> None:
    sandbox.state.reset()
    assert (
        httpx.post(
            f"{sandbox.url}/_sandbox/faults",
            json={"endpoint": "wa_send", "kind": "server_error", "count": 1},
        ).status_code
        == 201
    )
    assert len(httpx.get(f"{sandbox.url}/_sandbox/faults").json()) == 1
    failed = httpx.post(
        f"{sandbox.url}/v24.0/1/messages",
        headers={"Authorization": "Bearer t"},
        json={
            "messaging_product": "whatsapp",
            "to": "+1555",
            "type": "text",
            "text": {"body": "x"},
        },
    )
    assert failed.status_code == 500 and failed.json()["error"]["is_transient"] is True
    ok = httpx.post(
        f"{sandbox.url}/v24.0/1/messages",
        headers={"Authorization": "Bearer t"},
        json={
            "messaging_product": "whatsapp",
            "to": "+1555",
            "type": "text",
            "text": {"body": "x"},
        },
    )
    assert ok.status_code == 200
    no_token = httpx.post(
        f"{sandbox.url}/v24.0/1/messages", json={"recipient": {"id": "1"}, "message": {"text": "x"}}
    )
    assert no_token.status_code == 400 and no_token.json()["error"]["code"] == 190
    [item] = httpx.get(f"{sandbox.url}/_sandbox/outbox").json()
    assert item["endpoint"] == "wa_send" and item["text"] == "x" and item.get("token") != "t"
    # a poller reads only what is new since its last read
    assert httpx.get(f"{sandbox.url}/_sandbox/outbox", params={"since": 1}).json() == []
    assert httpx.get(f"{sandbox.url}/_sandbox/outbox", params={"since": 0}).json() == [item]
    assert httpx.get(f"{sandbox.url}/_sandbox/outbox", params={"since": -1}).status_code == 422
    assert httpx.delete(f"{sandbox.url}/_sandbox/outbox").status_code == 204
    assert httpx.get(f"{sandbox.url}/_sandbox/outbox").json() == []


def test_worker_turns_webhooks_into_inbox_rows(sandbox, connected, admin, worker) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "whatsapp",
            "account_id": connected["wa"],
            "from": "34600111222",
            "username": "Ana",
            "text": "Olá!",
            "times": 3,
            "concurrent": True,
        },
    )
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "kind": "comment",
            "account_id": connected["ig"],
            "from": "44",
            "username": "bea",
            "text": "Nice!",
        },
    )
    _wait_for(
        admin,
        "select text from messages where workspace_id = %s",
        (connected["ws"],),
        [{"text": "Olá!"}],
    )
    _wait_for(
        admin,
        "select text, from_username from comments where workspace_id = %s",
        (connected["ws"],),
        [{"text": "Nice!", "from_username": "bea"}],
    )
    _wait_for(
        admin,
        "select distinct status from webhook_events where workspace_id = %s",
        (connected["ws"],),
        [{"status": "done"}],
    )


def test_human_reply_from_the_app_hands_over(sandbox, connected, admin, worker) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={"platform": "instagram", "account_id": connected["ig"], "from": "45", "text": "hi"},
    )
    _wait_for(
        admin,
        "select owner from conversations where workspace_id = %s",
        (connected["ws"],),
        [{"owner": "bot"}],
    )
    reply = httpx.post(
        f"{sandbox.url}/_sandbox/human_reply",
        json={"account_id": connected["ig"], "to": "45", "text": "Marta here"},
    )
    assert reply.json()["delivered"] == [200]
    _wait_for(
        admin,
        "select owner from conversations where workspace_id = %s",
        (connected["ws"],),
        [{"owner": "human"}],
    )
