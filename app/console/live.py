"""The console's live updates: the workspace's event stream (app/live) as server-sent events
named for the parts of the pages they refresh, read with the console's session cookie. The page
then asks for the fresh fragment itself: the stream carries no customer data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from app.console.context import Page
from app.live import events, sse

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
    redis = request.app.state.live_redis
    workspace_id = console.ws.workspace_id
    start = events.valid_id(last_event_id) or events.valid_id(after)
    start = start or await events.position(redis, workspace_id)

    def refreshes(kind: str, _: str) -> list[tuple[str, str]]:
        return [(name, kind) for name in REFRESHES.get(kind, ())]

    return sse.stream(request, redis, console.ws.workspace_id, after=start, translate=refreshes)
