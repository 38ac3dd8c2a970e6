"""Customers have names: an Instagram contact's name, username and picture are read from Meta's
User Profile API on first contact, then again every PROFILE_REFRESH_DAYS. The worker reads it in
the background once the message is stored (a few at a time, while the reply's model thinks), so
it never delays a reply, and a failure only means the contact is shown by its id until the next
message. (WhatsApp contacts get their name from the webhook's `contacts[].profile.name` as the
message is stored.)"""

from __future__ import annotations

from typing import Any

import httpx
import redis.asyncio as aioredis

from app.config import Settings
from app.conversations import repo
from app.db.session import Claims, Pool, tenant_session
from app.db.trips import one_trip
from app.logging import get_logger
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import GraphAPIError
from app.platforms.meta.instagram import InstagramClient
from app.social_accounts import token_health

log = get_logger("profiles")


async def refresh_profile(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    contact_id: str,
    workspace_id: str,
) -> str:
    """`stored`, `skipped` (not due, or another worker has it) or `failed`."""
    claims = Claims.for_worker(workspace_id)
    [claimed] = await one_trip(
        pool,
        claims,
        repo.claim_profile_fetch_query(
            contact_id=contact_id, refresh_days=settings.profile_refresh_days
        ),
    )
    contact = claimed[0] if claimed else None
    if contact is None or contact["platform"] != "instagram":
        return "skipped"
    try:
        client = clients_for(contact, settings=settings, http=http, redis=redis)
        assert isinstance(client, InstagramClient)
        profile: dict[str, Any] = await client.user_profile(contact["external_id"])
    except GraphAPIError as exc:
        # 230 (never wrote: no consent), a blocked user, a refused token: shown by id; a
        # transient failure is tried again on the next message
        log.info("profile not read", contact_id=contact_id, code=exc.code, error=str(exc))
        async with tenant_session(pool, claims) as conn:
            if exc.transient:
                await repo.release_profile_fetch(conn, contact_id=contact_id)
            await token_health.record_refusal(
                conn, account_id=contact["social_account_id"], exc=exc, settings=settings
            )
        return "failed"
    await one_trip(
        pool,
        claims,
        repo.store_profile_query(
            contact_id=contact_id,
            username=_text(profile.get("username"), 100),
            display_name=_text(profile.get("name"), 200),
            avatar_url=_text(profile.get("profile_pic"), 2000),
        ),
    )
    return "stored"


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str) and value.strip() else None
