from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from redis.exceptions import RedisError

from app.deps import CurrentWorkspace
from app.errors import ServiceUnavailable
from app.live import events, sse
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/events", tags=["live events"])


@router.get("/stream", response_class=StreamingResponse)
@api_limit
async def stream(
    request: Request,
    ws: CurrentWorkspace,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    """Server-sent events for the workspace: `message.received`, `message.sent`, `escalation.opened`,
    `send.failed`, `post.published`, `post.failed`, each with a JSON `data`. Reconnecting with
    `Last-Event-ID` resumes after that event (while it is among the last LIVE_EVENTS_KEPT)."""
    redis = request.app.state.live_redis
    # fixed before the answer starts: nothing emitted after the client is answered is missed
    try:
        after = events.valid_id(last_event_id) or await events.newest_id(redis, ws.workspace_id)
    except RedisError as exc:
        raise ServiceUnavailable(
            "live events are unavailable for a moment; reconnect shortly",
            error_code="live_events_unavailable",
        ) from exc

    return sse.stream(request, redis, ws.workspace_id, after=after)
