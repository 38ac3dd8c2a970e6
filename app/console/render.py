"""Turning a page's template into a response: the whole page for a browser's request, only the
named block for an HTMX request (one template per page, its parts as blocks), always with
`Vary: HX-Request` so a cache never mixes the two."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from app.errors import AppError

TEMPLATES = Path(__file__).parent / "templates"
CHANNELS = {"instagram_dm": "Instagram DM", "instagram_comment": "Instagram comment"}


def _ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def _local(value: datetime | None, zone: str = "UTC", fmt: str = "%a %d %b, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def _channel(value: str) -> str:
    return CHANNELS.get(value, value.replace("_", " ").capitalize())


def _thumb(item: dict[str, Any] | None) -> str | None:
    """A media item's small picture: its thumbnail, or the image itself (a video has none
    without its thumbnail)."""
    if not item:
        return None
    return item.get("thumbnail_url") or (item.get("url") if item.get("type") == "image" else None)


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(ago=_ago, local=_local, channel=_channel, thumb=_thumb)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """`block` is what an HTMX request gets instead of the page (a boosted link gets the page)."""
    template = env.get_template(name)
    values = {"request": request, **getattr(request.state, "console_base", {}), **context}
    if block is not None and is_htmx(request) and request.headers.get("HX-Boosted") != "true":
        body = "".join(template.blocks[block](template.new_context(values)))
    else:
        body = template.render(values)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response


def go(request: Request, url: str) -> Response:
    """After a form: a browser is sent on with 303, an HTMX request with HX-Redirect."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url, "Vary": "HX-Request"})
    return RedirectResponse(url, status_code=303, headers={"Vary": "HX-Request"})


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The API's validation, said next to each field: {field: message}."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        message = str(error["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def on_the_form(exc: AppError, *also: str) -> bool:
    """A refusal the person can act on where they are (a 4xx other than "not found", or one of
    `also`): said on the form. Anything else goes to the error handler (a page, or a message)."""
    return (400 <= exc.status_code < 500 and exc.status_code != 404) or exc.error_code in also
