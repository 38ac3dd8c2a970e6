"""The console's live updates: the workspace's event stream (app/live) as server-sent events
named for the parts of the pages they refresh, read with the console's session cookie. The page
then asks for the fresh fragment itself: the stream carries no customer data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from app.console.context import Page
from app.live import events

router = APIRouter(include_in_schema=False)

# what each kind of event makes stale on the pages
REFRESHES = {
    events.MESSAGE_RECEIVED: ("inbox",),
    events.MESSAGE_SENT: ("inbox",),
    events.SEND_FAILED: ("inbox",),
    events.ESCALATION_OPENED: ("inbox", "escalations"),
    events.POST_PUBLISHED: ("calendar",),
    events.POST_FAILED: ("calendar",),
}


@router.get("/live")
async def live(
    request: Request,
    console: Page,
    after: Annotated[str | None, Query(max_length=40)] = None,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    """From the browser's Last-Event-ID when it reconnects, else from where the page was
    rendered (`after`), else from now."""
    settings = request.app.state.settings
    redis = request.app.state.live_redis
    workspace_id = console.ws.workspace_id
    start = events.valid_id(last_event_id) or events.valid_id(after)
    start = start or await events.position(redis, workspace_id)

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 3000\n\n"
        async for item in events.follow(
            redis, workspace_id, after=start, block_ms=int(settings.live_heartbeat_s * 1000)
        ):
            if await request.is_disconnected():
                return
            if item is None:
                yield b": keep-alive\n\n"
                continue
            entry_id, kind, _ = item
            for name in REFRESHES.get(kind, ()):
                yield f"id: {entry_id}\nevent: {name}\ndata: {kind}\n\n".encode()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
