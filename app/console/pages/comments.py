"""Comments under the workspace's posts, grouped by post, with what the bot did and why; reply
(publicly or in a DM), hide and unhide, delete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from app.console.context import Change, Console, Page
from app.console.render import field_errors, on_the_form, render
from app.errors import AppError
from app.inbox import comments as service
from app.inbox.comments_router import CommentReplyIn, CommentStatus, list_comments

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    console: Console,
    *,
    status: CommentStatus | None,
    block: str | None,
    errors: dict[str, dict[str, str]] | None = None,
    code: int = 200,
) -> HTMLResponse:
    page = await list_comments(
        request, console.ws, account_id=None, media=None, status=status, cursor=None, limit=100
    )
    by_post: dict[str, list[Any]] = {}
    for comment in page.items:
        by_post.setdefault(comment.media_id or "", []).append(comment)
    context = {
        "status": status,
        "posts": by_post,
        "errors": errors or {},
        "reply_key": uuid.uuid4().hex,
        "zone": console.workspace.timezone,
        "can_delete": console.ws.has("manager"),
    }
    return render(request, "comments.html", context, block=block, status=code)


StatusQ = Annotated[CommentStatus | None, Query()]


@router.get("/comments", response_class=HTMLResponse)
async def comments(
    request: Request,
    console: Page,
    status: StatusQ = None,
    part: Annotated[Literal["list", "page"], Query()] = "page",
) -> HTMLResponse:
    return await _page(request, console, status=status, block="list" if part == "list" else None)


def _status(value: str) -> CommentStatus | None:
    options: dict[str, CommentStatus] = {
        "pending": "pending",
        "answered": "answered",
        "hidden": "hidden",
        "escalated": "escalated",
    }
    return options.get(value)


@router.post("/comments/{comment_id:uuid}/reply", response_class=HTMLResponse)
async def reply(
    request: Request,
    console: Change,
    comment_id: UUID,
    text: Annotated[str, Form(max_length=5000)] = "",
    private: Annotated[bool, Form()] = False,
    reply_key: Annotated[str, Form(max_length=64)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    shown = _status(status)
    try:
        body = CommentReplyIn(text=text.strip(), private=private)
        await service.reply(
            console.ws,
            comment_id,
            text=body.text,
            private=body.private,
            settings=request.app.state.settings,
            redis=request.app.state.redis,
            idempotency_key=f"console:{reply_key}" if reply_key else None,
        )
    except ValidationError as exc:
        errors = {str(comment_id): field_errors(exc)}
        return await _page(request, console, status=shown, block="list", errors=errors, code=422)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        errors = {str(comment_id): {"text": exc.message}}
        return await _page(request, console, status=shown, block="list", errors=errors, code=422)
    return await _page(request, console, status=shown, block="list")


@router.post("/comments/{comment_id:uuid}/hide", response_class=HTMLResponse)
async def hide(
    request: Request,
    console: Change,
    comment_id: UUID,
    hidden: Annotated[bool, Form()] = True,
    status: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    state = request.app.state
    await service.set_hidden(
        console.ws,
        comment_id,
        hidden=hidden,
        settings=state.settings,
        http=state.http,
        redis=state.redis,
    )
    return await _page(request, console, status=_status(status), block="list")


@router.post("/comments/{comment_id:uuid}/delete", response_class=HTMLResponse)
async def delete(
    request: Request,
    console: Change,
    comment_id: UUID,
    status: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    state = request.app.state
    await service.delete(
        console.ws, comment_id, settings=state.settings, http=state.http, redis=state.redis
    )
    return await _page(request, console, status=_status(status), block="list")
