"""Store webhook events and hand the new ones to the broker: the one path shared by
webhooks (through the batcher) and the reconciliation polls."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from app.db.session import Pool, privileged_session
from app.db.trips import privileged_trip
from app.outbound import repo as outbound_repo
from app.platforms.meta.events import NormalizedEvent
from app.queue import publish_events
from app.webhooks import repo


async def store_and_enqueue(
    pool: Pool, redis: aioredis.Redis, events: list[tuple[str, NormalizedEvent]]
) -> list[dict[str, Any]]:
    """(platform, event) pairs -> the rows that were new. Runnable rows are stored `enqueued` and
    published after the commit; if the broker refuses them they go back to `pending` for the
    sweeper."""
    if not events:
        return []
    echoes = _echoes(events)
    settle = [outbound_repo.settle_echoes_query(echoes)] if echoes else []
    # one message: the webhook's answer waits on this, and its statements run prepared
    async with privileged_trip(pool) as trip:
        [rows, *_] = await trip.send(repo.store_events_query(events), *settle, commit=True)
    runnable = [r for r in rows if r["status"] == "enqueued"]
    published = await publish_events(
        redis, [(r["id"], r["workspace_id"], r["kind"]) for r in runnable]
    )
    if not published and runnable:
        async with privileged_session(pool) as conn:
            await repo.mark_pending(conn, [r["id"] for r in runnable])
        for row in runnable:
            row["status"] = "pending"
    return rows


def _echoes(events: list[tuple[str, NormalizedEvent]]) -> list[dict[str, str]]:
    return [
        {
            "platform": platform,
            "account": e.account_external_id,
            "outbound_id": outbound_id,
            "platform_message_id": str(e.platform_id),
        }
        for platform, e in events
        if (outbound_id := repo.settled_outbound_id(e))
    ]
