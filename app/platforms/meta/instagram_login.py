"""Instagram API with Instagram Login: the authorize URL, the code and token exchanges, and
the account behind a token (META-CONNECT.md §1). The three hosts of production
(www.instagram.com, api.instagram.com, graph.instagram.com) are one sandbox offline."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from app.config import Settings
from app.platforms.meta.errors import PermanentError, TransientError
from app.platforms.meta.graph_api import GraphAPI

# messages, comments and publishing: what SocialSync does with an account
SCOPES = (
    "instagram_business_basic",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
)
# the webhook fields we handle (an account subscribed to any gets every field the app has)
SUBSCRIBED_FIELDS = (
    "messages,comments,mentions,message_reactions,messaging_seen,messaging_postbacks"
)
PROFESSIONAL = {"BUSINESS", "MEDIA_CREATOR"}


def authorize_url(settings: Settings, *, state: str, redirect_uri: str) -> str:
    base = settings.instagram_authorize_url or f"{settings.graph_base}/oauth/authorize"
    query = {
        "client_id": settings.instagram_app_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": ",".join(SCOPES),
        "state": state,
        "enable_fb_login": "0",
        "force_reauth": "true",
    }
    return f"{base}?{urlencode(query)}"


def _graph(settings: Settings, http: httpx.AsyncClient, token: str, account_id: str) -> GraphAPI:
    return GraphAPI.for_token(settings, http, token=token, account_id=account_id)


async def exchange_code(
    settings: Settings, http: httpx.AsyncClient, *, code: str, redirect_uri: str
) -> dict[str, Any]:
    """The single-use code for a short-lived token (1 h), the account's id and what was granted.
    Meta answers either flat or inside `data[]`: both are read."""
    url = settings.instagram_token_url or f"{settings.graph_base}/oauth/access_token"
    secret = settings.app_secret_for("instagram").get_secret_value()
    try:
        response = await http.post(
            url,
            data={
                "client_id": settings.instagram_app_id,
                "client_secret": secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
            timeout=settings.graph_timeout_s,
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"Instagram did not answer the code exchange: {exc}") from exc
    body: Any = response.json() if response.content else {}
    if response.status_code >= 500:
        raise TransientError(f"Instagram answered {response.status_code} to the code exchange")
    if response.status_code >= 400 or not isinstance(body, dict):
        message = body.get("error_message") if isinstance(body, dict) else None
        raise PermanentError(message or "the code was refused", code=int(body.get("code") or 400))
    if isinstance(body.get("data"), list) and body["data"]:
        body = body["data"][0]
    if not body.get("access_token") or not body.get("user_id"):
        raise PermanentError("the code exchange gave no token")
    return body


async def long_lived(
    settings: Settings, http: httpx.AsyncClient, short_token: str
) -> tuple[str, int]:
    """The 60-day token for the 1-hour one: (token, seconds it lasts)."""
    graph = _graph(settings, http, short_token, "me")
    answer = await graph.request(
        "GET",
        "access_token",
        versioned=False,
        auth=False,
        params={
            "grant_type": "ig_exchange_token",
            "client_secret": settings.app_secret_for("instagram").get_secret_value(),
            "access_token": short_token,
        },
    )
    try:
        return str(answer["access_token"]), int(answer["expires_in"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError("the long-lived token exchange answered no token") from exc


async def professional_account(
    settings: Settings, http: httpx.AsyncClient, token: str
) -> dict[str, Any]:
    graph = _graph(settings, http, token, "me")
    return await graph.request(
        "GET",
        "me",
        params={"fields": "user_id,username,name,profile_picture_url,account_type"},
    )


async def subscribe(settings: Settings, http: httpx.AsyncClient, token: str, ig_id: str) -> None:
    graph = _graph(settings, http, token, ig_id)
    await graph.request(
        "POST", f"{ig_id}/subscribed_apps", params={"subscribed_fields": SUBSCRIBED_FIELDS}
    )


async def unsubscribe(settings: Settings, http: httpx.AsyncClient, token: str, ig_id: str) -> None:
    graph = _graph(settings, http, token, ig_id)
    await graph.request("DELETE", f"{ig_id}/subscribed_apps")
