"""The workspace's stream (events.py) as a server-sent-events response, for the API's clients
and the console alike: a retry hint, each entry as one or more events, a comment on every quiet
heartbeat (proxies keep the connection), and an end when the client has gone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable

import redis.asyncio as aioredis
from fastapi import Request
from fastapi.responses import StreamingResponse

from app.live import events

# entry (kind, data) -> the (event name, data) pairs to send for it
Translate = Callable[[str, str], Iterable[tuple[str, str]]]


def as_is(kind: str, data: str) -> Iterable[tuple[str, str]]:
    return ((kind, data),)


def stream(
    request: Request,
    redis: aioredis.Redis,
    workspace_id: object,
    *,
    after: str,
    translate: Translate = as_is,
) -> StreamingResponse:
    block_ms = int(request.app.state.settings.live_heartbeat_s * 1000)

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 3000\n\n"
        async for item in events.follow(redis, workspace_id, after=after, block_ms=block_ms):
            if await request.is_disconnected():
                return
            if item is None:
                yield b": keep-alive\n\n"
                continue
            entry_id, kind, data = item
            for name, payload in translate(kind, data):
                yield f"id: {entry_id}\nevent: {name}\ndata: {payload}\n\n".encode()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
