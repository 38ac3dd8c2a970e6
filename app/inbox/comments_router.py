from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.comments import repo
from app.deps import CurrentWorkspace
from app.inbox import comments as service
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/comments", tags=["comments"])

CommentStatus = Literal["pending", "answered", "hidden", "escalated"]


class CommentOut(BaseModel):
    id: UUID
    account_id: UUID
    platform_comment_id: str
    media_id: str | None
    parent_comment_id: str | None
    from_username: str | None
    text: str | None
    status: CommentStatus
    hidden: bool
    replied_at: datetime | None
    private_replied_at: datetime | None
    commented_at: datetime
    bot_decision: str | None = Field(description="respond, ignore, hide or escalate")
    bot_reasons: list[str] = Field(default_factory=list, description="why the bot decided so")


# read once: pydantic's model_fields is a property that rebuilds its answer on every access
_COPIED = frozenset(CommentOut.model_fields) - {"status", "bot_reasons", "media_id"}


def _out(row: dict[str, Any]) -> CommentOut:
    return CommentOut(
        **{k: v for k, v in row.items() if k in _COPIED},
        media_id=row["platform_media_id"],
        status=service.status_of(row),  # type: ignore[arg-type]
        bot_reasons=[str(r) for r in row["bot_reasons"] or []],
    )


class CommentReplyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Thank you! It ships worldwide.", "private": False}]
        },
    )

    text: str = Field(min_length=1, max_length=2200)
    private: bool = Field(default=False, description="answer in a direct message instead")


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hidden": False}]})

    hidden: bool


class QueuedOut(BaseModel):
    outbound_id: UUID
    status: str


@router.get("", response_model=Page[CommentOut])
@api_limit
async def list_comments(
    request: Request,
    ws: CurrentWorkspace,
    account_id: Annotated[UUID | None, Query()] = None,
    media: Annotated[
        str | None, Query(max_length=100, description="the post's Instagram media id")
    ] = None,
    status: Annotated[CommentStatus | None, Query()] = None,
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[CommentOut]:
    """Comments under the workspace's posts, newest first, with what the bot did and why."""
    async with ws.session() as conn:
        rows = await repo.list_comments(
            conn,
            workspace_id=ws.workspace_id,
            account_id=account_id,
            media_id=media,
            status=status,
            limit=limit + 1,
            after=time_id_cursor(cursor),
        )
    return page_of(rows, limit=limit, key=lambda r: (r["commented_at"], r["id"]), item=_out)


@router.get("/pending", response_model=Page[CommentOut])
@api_limit
async def pending_comments(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[CommentOut]:
    """The seed's path: comments nobody has answered or hidden yet (`?status=pending`)."""
    return await list_comments(request, ws, status="pending", cursor=cursor, limit=limit)


@router.post("/{comment_id:uuid}/reply", response_model=QueuedOut, status_code=202)
@api_limit
async def reply(
    request: Request,
    ws: CurrentWorkspace,
    comment_id: UUID,
    body: CommentReplyIn,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> QueuedOut:
    """Answer under the post, or privately (one direct message per comment, within 7 days)."""
    row = await service.reply(
        ws,
        comment_id,
        text=body.text,
        private=body.private,
        settings=request.app.state.settings,
        redis=request.app.state.redis,
        idempotency_key=idempotency_key,
    )
    return QueuedOut(outbound_id=row["id"], status=row["status"])


@router.post("/{comment_id:uuid}/hide", response_model=CommentOut)
@api_limit
async def hide(
    request: Request, ws: CurrentWorkspace, comment_id: UUID, body: HideIn
) -> CommentOut:
    """Hide the comment on Instagram, or show it again (`hidden: false` undoes the bot's hide)."""
    state = request.app.state
    row = await service.set_hidden(
        ws,
        comment_id,
        hidden=body.hidden,
        settings=state.settings,
        http=state.http,
        redis=state.redis,
    )
    return _out(row)


@router.delete("/{comment_id:uuid}", status_code=204)
@api_limit
async def delete(request: Request, ws: CurrentWorkspace, comment_id: UUID) -> Response:
    """Delete it from Instagram (managers and owners)."""
    state = request.app.state
    await service.delete(
        ws, comment_id, settings=state.settings, http=state.http, redis=state.redis
    )
    return Response(status_code=204)
