"""Instagram Login through the sandbox, as a browser goes through it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx


async def start(client: httpx.AsyncClient, user: Any, ws: str) -> str:
    response = await client.post("/api/social-accounts/instagram/connect", headers=user.headers(ws))
    assert response.status_code == 200, response.text
    url = response.json()["authorize_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["response_type"] == ["code"] and query["state"][0]
    assert "instagram_business_manage_messages" in query["scope"][0]
    return url


async def browse(client: httpx.AsyncClient, authorize_url: str, **params: str) -> httpx.Response:
    """What the browser does: Instagram's page, back to our callback, on to the result page."""
    # (httpx's `params=` would replace the link's own query, not add to it)
    extra = f"&{urlencode(params)}" if params else ""
    at_meta = httpx.get(authorize_url + extra, follow_redirects=False)
    assert at_meta.status_code == 302, at_meta.text
    back = urlsplit(at_meta.headers["location"])  # the `#_` fragment never reaches a server
    assert back.path == "/api/social-accounts/instagram/callback"
    callback = await client.get(f"{back.path}?{back.query}")
    assert callback.status_code == 303, callback.text
    return await client.get(callback.headers["location"])


def result(page: httpx.Response) -> str:
    return parse_qs(urlsplit(str(page.url)).query)["result"][0]
