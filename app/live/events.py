"""What staff screens hear about as it happens: new customer messages, escalations, sends that
failed, posts published or failed. Each workspace has a Redis stream (`live:<workspace>`, capped
at LIVE_EVENTS_KEPT entries): every API process reads the same stream, and a client that comes
back with `Last-Event-ID` gets what it missed while the entries last. Emitting is best effort:
the database is the record, the stream only tells screens to look."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.logging import get_logger

log = get_logger("live")

MESSAGE_RECEIVED = "message.received"
MESSAGE_SENT = "message.sent"
ESCALATION_OPENED = "escalation.opened"
SEND_FAILED = "send.failed"
POST_PUBLISHED = "post.published"
POST_FAILED = "post.failed"
KINDS = (
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    ESCALATION_OPENED,
    SEND_FAILED,
    POST_PUBLISHED,
    POST_FAILED,
)


def _key(workspace_id: object) -> str:
    return f"live:{workspace_id}"


async def emit(
    redis: aioredis.Redis, workspace_id: object, kind: str, data: dict[str, Any], *, kept: int
) -> None:
    try:
        await redis.xadd(
            _key(workspace_id),
            {"kind": kind, "data": json.dumps(data, default=str)},
            maxlen=kept,
            approximate=True,
        )
    except RedisError as exc:
        log.warning("live event not emitted", kind=kind, error=str(exc))


async def position(redis: aioredis.Redis, workspace_id: object) -> str:
    """Where the stream is now, for a page to follow from; "0-0" when Redis cannot say (the
    page then hears of everything still kept, which costs only a few refreshes)."""
    try:
        return await newest_id(redis, workspace_id)
    except RedisError:
        return "0-0"


def valid_id(value: str | None) -> str | None:
    """A stream entry id (`<ms>-<seq>`) or None."""
    if not value:
        return None
    ms, dash, seq = value.partition("-")
    return value if dash and ms.isdigit() and seq.isdigit() else None


async def newest_id(redis: aioredis.Redis, workspace_id: object) -> str:
    """Where "from now" starts: the newest entry's id ("$" would move on every read)."""
    newest: Any = await redis.xrevrange(_key(workspace_id), count=1)
    return _text(newest[0][0]) if newest else "0-0"


async def follow(
    redis: aioredis.Redis, workspace_id: object, *, after: str, block_ms: int
) -> AsyncIterator[tuple[str, str, str] | None]:
    """(id, kind, data) as they come after the entry `after`; None on each quiet `block_ms`,
    for a heartbeat."""
    key = _key(workspace_id)
    last = after
    while True:
        answer: Any = await redis.xread({key: last}, block=block_ms, count=100)
        if not answer:
            yield None
            continue
        for entry_id, fields in answer[0][1]:
            last = _text(entry_id)
            yield last, _text(fields[b"kind"]), _text(fields[b"data"])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
