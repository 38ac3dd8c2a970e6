"""Graph API clients for one connected account, with its decrypted token: what sends,
publishing, reconciliation, token refresh and profile reads all build theirs with."""

from __future__ import annotations

from typing import Any

import httpx
import redis.asyncio as aioredis

from app.config import Settings
from app.platforms.meta.budget import AccountBudget
from app.platforms.meta.errors import TokenExpiredError
from app.platforms.meta.graph_api import GraphAPI
from app.platforms.meta.instagram import InstagramClient
from app.platforms.meta.whatsapp import WhatsAppClient
from app.security.crypto import decrypt_secret


def clients_for(
    account: dict[str, Any], *, settings: Settings, http: httpx.AsyncClient, redis: aioredis.Redis
) -> InstagramClient | WhatsAppClient:
    encrypted = account.get("access_token_encrypted")
    token = decrypt_secret(encrypted) if encrypted else None
    if not token:
        raise TokenExpiredError("the account has no usable access token; reconnect it", code=190)
    graph = GraphAPI.for_token(
        settings,
        http,
        token=token,
        account_id=account["account_external_id"],
        budget=AccountBudget(redis),
    )
    if account["platform"] == "whatsapp":
        return WhatsAppClient(graph, settings)
    return InstagramClient(graph, settings)


def whatsapp_client_for_token(
    token: str, phone_number_id: str, *, settings: Settings, http: httpx.AsyncClient
) -> WhatsAppClient:
    """A client for credentials not stored yet (a number being connected): no shared budget,
    since nothing is sent with it."""
    graph = GraphAPI.for_token(settings, http, token=token, account_id=phone_number_id)
    return WhatsAppClient(graph, settings)
