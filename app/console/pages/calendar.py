"""The calendar of scheduled posts, by month or week in the workspace's time zone: each tile
with its time, thumbnail and status (a failure's reason on the post's page); create and edit with
the media library and the API's own checks; drag a tile to another day (the time of day is kept);
and the Instagram grid as the account's next posts will make it look."""

from __future__ import annotations

from calendar import Calendar
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.console.context import Change, Console, Page
from app.console.render import field_errors, go, on_the_form, render
from app.errors import AppError
from app.media import service as media
from app.publishing import scheduling
from app.publishing.schemas import PostCreate, PostOut, PostUpdate
from app.social_accounts.router import list_social_accounts

router = APIRouter(include_in_schema=False)

View = Literal["month", "week"]
Text = Annotated[str, Form(max_length=20000)]


def _days(view: View, anchor: date) -> list[date]:
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return [monday + timedelta(days=i) for i in range(7)]
    return [d for d in Calendar().itermonthdates(anchor.year, anchor.month)]


def _shift(view: View, anchor: date, step: int) -> date:
    if view == "week":
        return anchor + timedelta(weeks=step)
    month = anchor.month - 1 + step
    return date(anchor.year + month // 12, month % 12 + 1, 1)


def _today(console: Console) -> date:
    return datetime.now(ZoneInfo(console.workspace.timezone)).date()


async def _instagram_accounts(request: Request, console: Console) -> list[Any]:
    accounts = (await list_social_accounts(request, console.ws, cursor=None, limit=50)).items
    return [a for a in accounts if a.platform == "instagram" and not a.disconnected_at]


async def _calendar(
    request: Request,
    console: Console,
    *,
    view: View,
    anchor: date,
    block: str | None,
    code: int = 200,
    **context: Any,
) -> HTMLResponse:
    zone = ZoneInfo(console.workspace.timezone)
    days = _days(view, anchor)
    posts = (
        await scheduling.list_posts(
            console.ws,
            status=None,
            account_id=None,
            start=days[0],
            end=days[-1],
            limit=1000,
            cursor=None,
        )
    ).items
    by_day: dict[date, list[PostOut]] = {}
    for post in posts:
        by_day.setdefault(post.publish_at.astimezone(zone).date(), []).append(post)
    whole = block is None  # the grid part alone (a live refresh, a drop) needs only the days
    upcoming = (
        (
            await scheduling.list_posts(
                console.ws,
                status="scheduled",
                account_id=None,
                start=_today(console),
                end=None,
                limit=9,
                cursor=None,
            )
        ).items
        if whole
        else []
    )
    values: dict[str, Any] = {
        "view": view,
        "anchor": anchor,
        "days": days,
        "by_day": by_day,
        "today": _today(console),
        "previous": _shift(view, anchor, -1),
        "next": _shift(view, anchor, 1),
        # Instagram shows the newest first: the last one to go out is top left
        "grid": list(reversed(upcoming)),
        "zone": console.workspace.timezone,
        "accounts": await _instagram_accounts(request, console) if whole else [],
        "library": (await media.list_media(console.ws, limit=24, cursor=None)).items
        if whole
        else [],
        "can_edit": console.ws.has("manager"),
        "errors": {},
        "form": {},
        **context,
    }
    return render(request, "calendar.html", values, block=block, status=code)


@router.get("/calendar", response_class=HTMLResponse)
async def calendar(
    request: Request,
    console: Page,
    view: Annotated[View, Query()] = "month",
    on: Annotated[date | None, Query(alias="date")] = None,
    part: Annotated[Literal["grid", "page"], Query()] = "page",
) -> HTMLResponse:
    return await _calendar(
        request,
        console,
        view=view,
        anchor=on or _today(console),
        block="calendar" if part == "grid" else None,
    )


async def _media_item(
    request: Request, console: Console, upload: UploadFile | None, media_id: str
) -> dict[str, Any]:
    if upload is not None and upload.filename:
        state = request.app.state
        stored = await media.upload(
            console.ws, upload, settings=state.settings, storage=state.media_storage
        )
        return {"media_id": str(stored.id)}
    return {"media_id": media_id} if media_id else {}


@router.post("/calendar/posts", response_class=HTMLResponse)
async def create(
    request: Request,
    console: Change,
    account_id: Text = "",
    caption: Text = "",
    publish_at: Text = "",
    media_id: Text = "",
    draft: Annotated[bool, Form()] = False,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"account_id": account_id, "caption": caption, "publish_at": publish_at}
    try:
        item = await _media_item(request, console, file, media_id)
        body = PostCreate.model_validate(
            {
                "account_id": account_id,
                "caption": caption,
                "publish_at": publish_at,
                "media": [item] if item else [],
                "draft": draft,
            }
        )
        state = request.app.state
        post = await scheduling.create_post(
            console.ws, body, settings=state.settings, http=state.http
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        return await _calendar(
            request,
            console,
            view="month",
            anchor=_today(console),
            block=None,
            code=422,
            errors=errors,
            form=form,
        )
    except AppError as exc:
        if not on_the_form(exc, "media_url_unreachable"):
            raise
        field = (
            "media"
            if exc.error_code.startswith(("media", "image"))
            else (
                "publish_at"
                if exc.error_code.startswith("publish_at")
                else "caption"
                if exc.error_code.startswith(("caption", "too_many"))
                else "account_id"
            )
        )
        return await _calendar(
            request,
            console,
            view="month",
            anchor=_today(console),
            block=None,
            code=422,
            errors={field: exc.message},
            form=form,
        )
    local = post.publish_at.astimezone(ZoneInfo(console.workspace.timezone)).date()
    return go(request, f"/calendar?date={local.isoformat()}")


@router.post("/calendar/posts/{post_id:uuid}/move", response_class=HTMLResponse)
async def move(
    request: Request,
    console: Change,
    post_id: UUID,
    day: Annotated[date, Form()],
    view: Annotated[View, Form()] = "month",
    anchor: Annotated[date | None, Form()] = None,
) -> HTMLResponse:
    """Dropped on another day: the same time of day there (the API's `publish_on`)."""
    state = request.app.state
    errors: dict[str, str] = {}
    try:
        await scheduling.update_post(
            console.ws,
            post_id,
            PostUpdate(publish_on=day),
            settings=state.settings,
            http=state.http,
        )
    except AppError as exc:
        if not on_the_form(exc):
            raise
        errors = {"move": exc.message}
    return await _calendar(
        request,
        console,
        view=view,
        anchor=anchor or day,
        block="calendar",
        code=422 if errors else 200,
        errors=errors,
    )


@router.get("/calendar/posts/{post_id:uuid}", response_class=HTMLResponse)
async def post_page(request: Request, console: Page, post_id: UUID) -> HTMLResponse:
    post = await scheduling.get_post(console.ws, post_id)
    return render(
        request,
        "post.html",
        {
            "post": post,
            "zone": console.workspace.timezone,
            "errors": {},
            "can_edit": console.ws.has("manager"),
        },
    )


@router.post("/calendar/posts/{post_id:uuid}", response_class=HTMLResponse)
async def edit(
    request: Request,
    console: Change,
    post_id: UUID,
    caption: Text = "",
    publish_at: Text = "",
) -> Response:
    state = request.app.state
    try:
        body = PostUpdate.model_validate({"caption": caption, "publish_at": publish_at})
        await scheduling.update_post(
            console.ws, post_id, body, settings=state.settings, http=state.http
        )
    except (ValidationError, AppError) as exc:
        if isinstance(exc, AppError) and not on_the_form(exc):
            raise
        errors = field_errors(exc) if isinstance(exc, ValidationError) else {"form": exc.message}
        post = await scheduling.get_post(console.ws, post_id)
        return render(
            request,
            "post.html",
            {"post": post, "zone": console.workspace.timezone, "errors": errors, "can_edit": True},
            status=422,
        )
    return go(request, f"/calendar/posts/{post_id}")


@router.post("/calendar/posts/{post_id:uuid}/{action}")
async def act(
    request: Request,
    console: Change,
    post_id: UUID,
    action: Literal["publish-now", "retry", "cancel"],
) -> Response:
    redis = request.app.state.redis
    if action == "publish-now":
        await scheduling.publish_now(console.ws, post_id, redis=redis)
    elif action == "retry":
        await scheduling.retry_post(console.ws, post_id, redis=redis)
    else:
        await scheduling.cancel_post(console.ws, post_id)
    return go(request, f"/calendar/posts/{post_id}")
