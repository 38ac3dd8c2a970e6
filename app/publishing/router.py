from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from app.deps import CurrentWorkspace
from app.pagination import CursorParam, Page
from app.publishing import scheduling
from app.publishing.schemas import (
    InstagramPostOut,
    PostCreate,
    PostOut,
    PostStatus,
    PostUpdate,
    QuotaOut,
)
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/scheduled-posts", tags=["scheduled posts"])
instagram = APIRouter(prefix="/api/instagram", tags=["scheduled posts"])


@router.post("", response_model=PostOut, status_code=201)
@api_limit
async def create_post(request: Request, ws: CurrentWorkspace, body: PostCreate) -> PostOut:
    """Schedule a post (managers and owners), or save a draft (`draft: true`). Everything
    Instagram would refuse is refused now, each with its own `error_code`: caption_too_long,
    too_many_hashtags, too_many_mentions, media_count_invalid, media_type_invalid,
    image_format_unsupported, image_aspect_ratio, image_too_small, media_too_large,
    media_url_unreachable, media_not_found, publish_at_in_past, publish_at_too_far,
    account_not_found, account_not_connected, account_needs_reconnect, account_cannot_publish."""
    state = request.app.state
    return await scheduling.create_post(ws, body, settings=state.settings, http=state.http)


@router.get("", response_model=Page[PostOut])
@api_limit
async def list_posts(
    request: Request,
    ws: CurrentWorkspace,
    status: Annotated[PostStatus | None, Query()] = None,
    account_id: Annotated[UUID | None, Query()] = None,
    start: Annotated[
        date | None, Query(alias="from", description="first day (workspace's time zone)")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, included")] = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 200,
) -> Page[PostOut]:
    """The calendar: posts by time, filtered by status, account and days."""
    return await scheduling.list_posts(
        ws, status=status, account_id=account_id, start=start, end=end, limit=limit, cursor=cursor
    )


@router.get("/quota", response_model=QuotaOut)
@api_limit
async def publishing_quota(
    request: Request, ws: CurrentWorkspace, account_id: Annotated[UUID, Query()]
) -> QuotaOut:
    """The account's Instagram publishing limit over the next 24 h, and what is queued then."""
    state = request.app.state
    return await scheduling.quota(
        ws, account_id, settings=state.settings, http=state.http, redis=state.redis
    )


@router.get("/{post_id:uuid}", response_model=PostOut)
@api_limit
async def get_post(request: Request, ws: CurrentWorkspace, post_id: UUID) -> PostOut:
    return await scheduling.get_post(ws, post_id)


@router.patch("/{post_id:uuid}", response_model=PostOut)
@api_limit
async def update_post(
    request: Request, ws: CurrentWorkspace, post_id: UUID, body: PostUpdate
) -> PostOut:
    """Change a draft or scheduled post; checked again as on create. 409 once publishing."""
    state = request.app.state
    return await scheduling.update_post(ws, post_id, body, settings=state.settings, http=state.http)


@router.delete("/{post_id:uuid}", response_model=PostOut)
@api_limit
async def cancel_post(request: Request, ws: CurrentWorkspace, post_id: UUID) -> PostOut:
    """Cancel a draft, scheduled or failed post (it stays listed as cancelled)."""
    return await scheduling.cancel_post(ws, post_id)


@router.post("/{post_id:uuid}/publish-now", response_model=PostOut)
@api_limit
async def publish_now(request: Request, ws: CurrentWorkspace, post_id: UUID) -> PostOut:
    return await scheduling.publish_now(ws, post_id, redis=request.app.state.redis)


@router.post("/{post_id:uuid}/retry", response_model=PostOut)
@api_limit
async def retry_post(request: Request, ws: CurrentWorkspace, post_id: UUID) -> PostOut:
    """Try a failed post again, now, from the start."""
    return await scheduling.retry_post(ws, post_id, redis=request.app.state.redis)


@router.post("/{post_id:uuid}/duplicate", response_model=PostOut, status_code=201)
@api_limit
async def duplicate_post(request: Request, ws: CurrentWorkspace, post_id: UUID) -> PostOut:
    """A draft copy of the post."""
    return await scheduling.duplicate_post(ws, post_id)


@instagram.get("/posts", response_model=list[InstagramPostOut])
@api_limit
async def instagram_posts(
    request: Request,
    ws: CurrentWorkspace,
    account_id: Annotated[UUID, Query()],
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> list[InstagramPostOut]:
    """The account's published posts with permalinks, ours and those made in the app."""
    state = request.app.state
    return await scheduling.instagram_posts(
        ws, account_id, settings=state.settings, http=state.http, redis=state.redis, limit=limit
    )
