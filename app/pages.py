"""Plain server-rendered pages for people sent here by a link (Instagram's redirect, Meta's
data-deletion page, an emailed password reset): no script, no external asset, readable on a
phone."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

_STYLE = (
    "font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5"
)


def page(title: str, paragraphs: list[str], status: int = 200, form: str = "") -> HTMLResponse:
    """`form` is trusted markup built by the caller (its values escaped there)."""
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f'<body style="{_STYLE}">'
        f"<h1>{html.escape(title)}</h1>"
        + "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
        + form
        + "</body></html>"
    )
    return HTMLResponse(body, status_code=status)
