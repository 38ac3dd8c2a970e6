"""WhatsApp Embedded Signup, the server's half (META-CONNECT.md §3): the code Meta's popup gave
the browser (valid 30 seconds) is exchanged for the customer's business token, with the app id
and secret and nothing else (no redirect_uri, no grant_type)."""

from __future__ import annotations

import httpx

from app.config import Settings
from app.platforms.meta.errors import PermanentError
from app.platforms.meta.graph_api import GraphAPI


async def exchange_code(settings: Settings, http: httpx.AsyncClient, code: str) -> str:
    graph = GraphAPI.for_token(settings, http, token="", account_id=settings.meta_app_id)
    answer = await graph.request(
        "GET",
        "oauth/access_token",
        auth=False,
        params={
            "client_id": settings.meta_app_id,
            "client_secret": settings.app_secret_for("whatsapp").get_secret_value(),
            "code": code,
        },
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise PermanentError("the Embedded Signup code exchange gave no token")
    return token
