"""The escalation queue, live: what the bot handed to staff, with its reason and draft; claim,
send the draft as it is or edited, resolve."""

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
from app.escalations import service as escalation_service
from app.inbox import service
from app.inbox.router import EscalationReplyIn, list_escalations

router = APIRouter(include_in_schema=False)

Status = Literal["open", "claimed", "resolved"]


async def _page(
    request: Request,
    console: Console,
    *,
    status: Status,
    block: str | None,
    errors: dict[str, dict[str, str]] | None = None,
    code: int = 200,
) -> HTMLResponse:
    page = await list_escalations(
        request,
        console.ws,
        status=status,
        channel=None,
        assignee=None,
        sort="longest_waiting" if status != "resolved" else "newest",
        cursor=None,
        limit=50,
    )
    context: dict[str, Any] = {
        "status": status,
        "escalations": page.items,
        "errors": errors or {},
        "reply_key": uuid.uuid4().hex,
        "zone": console.workspace.timezone,
    }
    return render(request, "escalations.html", context, block=block, status=code)


@router.get("/escalations", response_class=HTMLResponse)
async def escalations(
    request: Request,
    console: Page,
    status: Annotated[Status, Query()] = "open",
    part: Annotated[Literal["queue", "page"], Query()] = "page",
) -> HTMLResponse:
    return await _page(request, console, status=status, block="queue" if part == "queue" else None)


@router.post("/escalations/{escalation_id:uuid}/claim", response_class=HTMLResponse)
async def claim(
    request: Request,
    console: Change,
    escalation_id: UUID,
    status: Annotated[Status, Form()] = "open",
) -> HTMLResponse:
    try:
        await escalation_service.claim(console.ws, escalation_id)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _refused(request, console, status, escalation_id, exc.message)
    return await _page(request, console, status=status, block="queue")


@router.post("/escalations/{escalation_id:uuid}/reply", response_class=HTMLResponse)
async def reply(
    request: Request,
    console: Change,
    escalation_id: UUID,
    text: Annotated[str, Form(max_length=4000)] = "",
    approve_draft: Annotated[bool, Form()] = False,
    reply_key: Annotated[str, Form(max_length=64)] = "",
    status: Annotated[Status, Form()] = "open",
) -> HTMLResponse:
    """The draft as it is (`approve_draft`), or the text written (the draft, edited or replaced),
    checked by the API's own model."""
    try:
        body = EscalationReplyIn.model_validate(
            {"approve_draft": True} if approve_draft else {"text": text.strip()}
        )
        await service.reply_to_escalation(
            console.ws,
            escalation_id,
            text=body.text,
            approve_draft=body.approve_draft,
            settings=request.app.state.settings,
            redis=request.app.state.redis,
            idempotency_key=f"console:{reply_key}" if reply_key else None,
        )
    except ValidationError as exc:
        message = next(iter(field_errors(exc).values()), "write a reply")
        return await _refused(request, console, status, escalation_id, message)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _refused(request, console, status, escalation_id, exc.message)
    return await _page(request, console, status=status, block="queue")


async def _refused(
    request: Request, console: Console, status: Status, escalation_id: UUID, message: str
) -> HTMLResponse:
    """The queue again, with what went wrong said on that escalation's form."""
    errors = {str(escalation_id): {"text": message}}
    return await _page(request, console, status=status, block="queue", errors=errors, code=422)


@router.post("/escalations/{escalation_id:uuid}/resolve", response_class=HTMLResponse)
async def resolve(
    request: Request,
    console: Change,
    escalation_id: UUID,
    hand_back: Annotated[bool, Form()] = True,
    status: Annotated[Status, Form()] = "open",
) -> HTMLResponse:
    await escalation_service.resolve(console.ws, escalation_id, hand_back_to_bot=hand_back)
    return await _page(request, console, status=status, block="queue")
