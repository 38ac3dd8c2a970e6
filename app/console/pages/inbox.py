"""The inbox: conversations with who holds them, the thread with the bot's decisions inline,
take over, reply (canned replies, the bot's draft), hand back. The list refreshes itself when the
live stream says something arrived."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.agent import feedback
from app.canned_replies.router import list_canned_replies
from app.console.context import Change, Console, Page
from app.console.render import field_errors, on_the_form, render
from app.errors import AppError
from app.inbox import service
from app.inbox.router import ReplyIn, list_conversations

router = APIRouter(include_in_schema=False)

Filter = Literal["all", "mine", "unassigned", "bot", "unread"]
Channel = Literal["instagram_dm", "instagram_comment", "whatsapp"]


@dataclass(frozen=True)
class Window:
    """Meta's messaging window as staff need it: can I still answer, and for how long."""

    label: str
    open: bool


def window_of(conversation: dict[str, Any], now: datetime | None = None) -> Window:
    last = conversation.get("last_inbound_at")
    if last is None:
        return Window("no message from the customer yet", False)
    now = now or datetime.now(UTC)
    left = last + timedelta(hours=24) - now
    if left > timedelta(0):
        hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
        return Window(f"{hours} h {minutes:02d} min left to answer", True)
    if conversation["channel"] == "instagram_dm" and left > -timedelta(days=6):
        return Window("past 24 h: replies go with the human agent tag (7 days)", True)
    if conversation["channel"] == "whatsapp":
        return Window("24 h window closed: only an approved template can be sent", False)
    return Window("the messaging window has closed", False)


async def _list(
    request: Request,
    console: Console,
    view: Filter,
    channel: Channel | None,
    sort: Literal["recent", "longest_waiting"],
) -> list[Any]:
    page = await list_conversations(
        request,
        console.ws,
        owner="bot" if view == "bot" else None,
        channel=channel,
        assignee="mine" if view == "mine" else "unassigned" if view == "unassigned" else None,
        unread=view == "unread",
        sort=sort,
        cursor=None,
        limit=50,
    )
    return page.items


async def _canned(request: Request, console: Console) -> list[Any]:
    page = await list_canned_replies(request, console.ws, q=None, cursor=None, limit=100)
    return page.items


async def _page(
    request: Request,
    console: Console,
    *,
    selected: UUID | None,
    view: Filter,
    channel: Channel | None,
    sort: Literal["recent", "longest_waiting"],
    block: str | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    judged: dict[UUID, str] | None = None,
) -> HTMLResponse:
    thread = await service.read_thread(console.ws, selected, limit=100) if selected else None
    context: dict[str, Any] = {
        "view": view,
        "channel": channel,
        "sort": sort,
        "conversations": await _list(request, console, view, channel, sort)
        if block in (None, "inbox", "list")
        else [],
        "thread": thread,
        "selected": selected,
        "window": window_of(thread.conversation) if thread else None,
        "canned": await _canned(request, console) if thread and block != "live" else [],
        "reply_key": uuid.uuid4().hex,
        "errors": errors or {},
        "judged": judged or {},
        "zone": console.workspace.timezone,
        "wide": True,
    }
    return render(request, "inbox.html", context, block=block, status=status)


ViewQ = Annotated[Filter, Query()]
ChannelQ = Annotated[Channel | None, Query()]
SortQ = Annotated[Literal["recent", "longest_waiting"], Query()]


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    console: Page,
    view: ViewQ = "all",
    channel: ChannelQ = None,
    sort: SortQ = "recent",
    part: Annotated[Literal["list", "page"], Query()] = "page",
) -> HTMLResponse:
    return await _page(
        request,
        console,
        selected=None,
        view=view,
        channel=channel,
        sort=sort,
        block="list" if part == "list" else "inbox",
    )


@router.get("/inbox/{conversation_id:uuid}", response_class=HTMLResponse)
async def conversation(
    request: Request,
    console: Page,
    conversation_id: UUID,
    view: ViewQ = "all",
    channel: ChannelQ = None,
    sort: SortQ = "recent",
    part: Annotated[Literal["thread", "live", "page"], Query()] = "page",
) -> HTMLResponse:
    """`part=live` is the part the live stream refreshes (the banner and the messages), so
    that a reply being written is never replaced."""
    return await _page(
        request,
        console,
        selected=conversation_id,
        view=view,
        channel=channel,
        sort=sort,
        block="inbox" if part == "page" else part,
    )


async def _thread(
    request: Request,
    console: Console,
    conversation_id: UUID,
    block: str = "thread",
    **extra: Any,
) -> HTMLResponse:
    """A part of the conversation after an action on it (the list around it is not shown)."""
    return await _page(
        request,
        console,
        selected=conversation_id,
        view="all",
        channel=None,
        sort="recent",
        block=block,
        **extra,
    )


@router.post("/inbox/{conversation_id:uuid}/take-over", response_class=HTMLResponse)
async def take_over(request: Request, console: Change, conversation_id: UUID) -> HTMLResponse:
    await service.take_over(console.ws, conversation_id)
    return await _thread(request, console, conversation_id)


@router.post("/inbox/{conversation_id:uuid}/hand-back", response_class=HTMLResponse)
async def hand_back(request: Request, console: Change, conversation_id: UUID) -> HTMLResponse:
    """Also resolves the conversation's open escalations (the `e` key)."""
    await service.hand_back(console.ws, conversation_id)
    return await _thread(request, console, conversation_id)


@router.post("/inbox/{conversation_id:uuid}/reply", response_class=HTMLResponse)
async def reply(
    request: Request,
    console: Change,
    conversation_id: UUID,
    text: Annotated[str, Form(max_length=4000)] = "",
    reply_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        body = ReplyIn(text=text.strip() or None)
        await service.reply(
            console.ws,
            settings=request.app.state.settings,
            redis=request.app.state.redis,
            conversation_id=conversation_id,
            text=body.text,
            template=None,
            idempotency_key=f"console:{reply_key}" if reply_key else None,
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        message = errors.get("text") or errors.get("form") or "write a reply"
        return await _thread(
            request, console, conversation_id, "composer", errors={"text": message}, status=422
        )
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _thread(
            request, console, conversation_id, "composer", errors={"text": exc.message}, status=422
        )
    # the thread fetches itself afresh after this answer (never older than the reply)
    response = await _thread(request, console, conversation_id, "composer")
    response.headers["HX-Trigger"] = "thread-changed"
    return response


@router.post(
    "/inbox/{conversation_id:uuid}/decisions/{decision_id:uuid}", response_class=HTMLResponse
)
async def judge(
    request: Request,
    console: Change,
    conversation_id: UUID,
    decision_id: UUID,
    verdict: Annotated[Literal["good", "wrong"], Form()],
) -> HTMLResponse:
    """Staff mark a bot reply good or wrong: wrong puts the FAQ entries it used under review."""
    await feedback.give_feedback(console.ws, decision_id, verdict=verdict, note=None)
    return await _thread(request, console, conversation_id, "live", judged={decision_id: verdict})
