"""The staff's live stream over real HTTP: a customer's message and the escalation it causes
arrive within seconds; reconnecting with Last-Event-ID resumes after it; another workspace's
stream hears nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx

from app.security.crypto import encrypt_secret
from tests.support.conversation import send_dm
from tests.support.factories import create_workspace, register


async def _events(
    url: str,
    headers: dict[str, str],
    wanted: int,
    timeout: float = 20.0,
    opened: asyncio.Event | None = None,
) -> list[dict[str, Any]]:
    """The first `wanted` events of the stream (or what came within `timeout`); `opened` is
    set once the server has answered and the stream is being read."""
    found: list[dict[str, Any]] = []

    async def read() -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=60.0)) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith("retry:") and opened is not None:
                    opened.set()  # the server sends it first, once it follows the stream
                if not line:
                    if "event" in event:
                        found.append(event)
                        if len(found) >= wanted:
                            return
                    event = {}
                    continue
                field, _, value = line.partition(": ")
                if field in ("id", "event"):
                    event[field] = value
                elif field == "data":
                    event["data"] = json.loads(value)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout)
    return found


async def test_staff_hear_messages_and_escalations_as_they_happen(
    client, live_api, sandbox, worker, admin
) -> None:
    owner = await register(client, "live")
    ws = (await create_workspace(client, owner))["id"]
    other = await register(client, "live-other")
    other_ws = (await create_workspace(client, other))["id"]
    ig = str(uuid.uuid4().int)[:17]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s)",
        (ws, ig, encrypt_secret("sandbox-token")),
    )
    url = f"{live_api.url}/api/events/stream"
    mine, theirs = asyncio.Event(), asyncio.Event()
    listening = asyncio.create_task(_events(url, owner.headers(ws), wanted=2, opened=mine))
    outsider = asyncio.create_task(
        _events(url, other.headers(other_ws), wanted=1, timeout=12, opened=theirs)
    )
    # both streams are open before the customer writes
    await asyncio.wait_for(asyncio.gather(mine.wait(), theirs.wait()), 10)
    send_dm(sandbox, ig, "c-live", "I want a refund, urgent")
    received, escalated = await listening
    assert received["event"] == "message.received" and received["data"]["contact"] == "c-live"
    assert escalated["event"] == "escalation.opened"
    assert escalated["data"]["conversation_id"] == received["data"]["conversation_id"]
    assert await outsider == [], "another workspace hears nothing"

    resumed = await _events(
        url, owner.headers(ws) | {"Last-Event-ID": received["id"]}, wanted=1, timeout=10
    )
    assert [e["id"] for e in resumed] == [escalated["id"]], "resumes after the last one seen"
    anonymous = httpx.get(url, timeout=5)
    assert anonymous.status_code == 401
