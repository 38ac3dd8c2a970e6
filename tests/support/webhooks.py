"""Reading what the webhook endpoint stored and enqueued."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.meta import meta_bytes, signed_headers

QUEUES = ("high", "default", "low")


def enqueued_event_ids(redis_client) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    for queue in QUEUES:
        for raw in redis_client.lrange(queue, 0, -1):
            message = json.loads(raw)
            body = json.loads(base64.b64decode(message["body"]))
            ids.append(body[0][0])
    return sorted(ids)


def events_for(admin, account: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return admin.execute(
        "select id, workspace_id::text as ws, kind, status, dedupe_key, payload from webhook_events"
        " where account_external_id = %s order by id",
        (account,),
    ).fetchall()


async def post(
    client, platform: str, payload: Any, secret: str, *, body: bytes | None = None
) -> Any:  # type: ignore[no-untyped-def]
    raw = body if body is not None else meta_bytes(payload)
    return await client.post(
        f"/webhooks/{platform}", content=raw, headers=signed_headers(raw, secret)
    )


def secret(settings) -> str:  # type: ignore[no-untyped-def]
    return settings.meta_app_secret.get_secret_value()
