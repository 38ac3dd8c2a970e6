"""Outgoing webhooks (owners and managers): the endpoints events are POSTed to, with each one's
recent deliveries and what the receiver answered; add one (its signing secret shown once), ping
it, switch it on or off."""

from __future__ import annotations

from typing import Annotated, Any, get_args
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.console import session
from app.console.context import Change, Console, Page
from app.console.render import field_errors, go, on_the_form, render
from app.errors import AppError
from app.integrations import service
from app.integrations.router import EndpointIn, EventType

router = APIRouter(include_in_schema=False)

EVENTS = get_args(EventType)
PAGE = "/settings/webhooks"
NEW_SECRET_COOKIE = "ss_new_secret"  # noqa: S105 (a cookie's name)
RECENT_DELIVERIES = 5


async def _render(
    request: Request, console: Console, *, code: int = 200, **context: Any
) -> HTMLResponse:
    console.ws.require("manager")
    endpoints = await service.list_endpoints(console.ws, limit=50, after=None)
    deliveries = {
        e["id"]: await service.list_deliveries(
            console.ws, e["id"], status=None, limit=RECENT_DELIVERIES, after=None
        )
        for e in endpoints
    }
    values = {
        "endpoints": endpoints,
        "deliveries": deliveries,
        "events": EVENTS,
        "errors": {},
        "form": {},
        **context,
    }
    return render(request, "integrations.html", values, status=code)


@router.get(PAGE, response_class=HTMLResponse)
async def webhooks(request: Request, console: Page) -> HTMLResponse:
    secret = request.cookies.get(NEW_SECRET_COOKIE)
    if secret:
        session.queue_cookie(request, NEW_SECRET_COOKIE, "", max_age=0, path=PAGE)
    return await _render(request, console, created={"secret": secret} if secret else None)


@router.post("/settings/webhooks", response_class=HTMLResponse)
async def add(request: Request, console: Change) -> Response:
    form = await request.form()
    url = str(form.get("url") or "").strip()
    description = str(form.get("description") or "").strip()
    chosen = [str(v) for v in form.getlist("events")]
    draft = {"url": url, "description": description, "events": chosen}
    try:
        body = EndpointIn.model_validate(
            {"url": url, "events": chosen, "description": description or None}
        )
        _, secret = await service.create(
            console.ws,
            url=body.url,
            event_types=list(body.events),
            description=body.description,
            settings=request.app.state.settings,
        )
    except ValidationError as exc:
        return await _render(request, console, code=422, errors=field_errors(exc), form=draft)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(request, console, code=422, errors={"url": exc.message}, form=draft)
    # shown once, after the redirect (a reload never adds a second endpoint): it travels in a
    # short-lived cookie only this page reads, and is forgotten as soon as it is shown
    session.queue_cookie(request, NEW_SECRET_COOKIE, secret, max_age=120, path=PAGE)
    return go(request, PAGE)


@router.post("/settings/webhooks/{endpoint_id:uuid}/ping")
async def ping(request: Request, console: Change, endpoint_id: UUID) -> Response:
    await service.ping(console.ws, endpoint_id)
    return go(request, "/settings/webhooks")


@router.post("/settings/webhooks/{endpoint_id:uuid}/enabled")
async def switch(
    request: Request, console: Change, endpoint_id: UUID, enabled: Annotated[bool, Form()]
) -> Response:
    await service.update(
        console.ws, endpoint_id, {"enabled": enabled}, settings=request.app.state.settings
    )
    return go(request, "/settings/webhooks")


@router.post("/settings/webhooks/{endpoint_id:uuid}/delete")
async def delete(request: Request, console: Change, endpoint_id: UUID) -> Response:
    await service.delete(console.ws, endpoint_id)
    return go(request, "/settings/webhooks")
