"""The missed-event radar. Webhooks are primary; these polls list recent conversations and the
comments of recent posts, turn what they find into the same normalized events (same dedupe keys
as the webhooks: `ig:msg:{mid}`, `ig:comment:{id}`) and store them through the same inbox, so
anything seen by both paths is handled once. What the polls add is counted, so gaps show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis

from app.config import Settings
from app.db.session import Pool, privileged_session
from app.logging import get_logger
from app.platforms.meta import listing
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import GraphAPIError
from app.platforms.meta.events import NormalizedEvent, from_graph_time
from app.platforms.meta.instagram import InstagramClient
from app.social_accounts import repo as social_accounts_repo
from app.social_accounts import token_health
from app.webhooks.store import store_and_enqueue

log = get_logger("reconcile")


@dataclass(frozen=True)
class RadarResult:
    accounts: int
    seen: int
    found: int


async def _instagram_accounts(pool: Pool) -> list[dict[str, Any]]:
    async with privileged_session(pool) as conn:
        return await social_accounts_repo.instagram_accounts_to_poll(conn)


async def _conversation_events(client: InstagramClient, since: datetime) -> list[NormalizedEvent]:
    events = []
    for conversation in await client.list_conversations():
        updated = from_graph_time(conversation.get("updated_time"))
        if updated is not None and updated < since:
            continue
        for message in await client.list_messages(conversation["id"]):
            if (event := listing.customer_message(client.ig_id, message)) is not None:
                events.append(event)
    return events


def comment_poll_interval(age: timedelta, settings: Settings) -> float | None:
    """How often a post's comments are polled: new posts get most comments, so often; none
    after the cut-off age."""
    if age > timedelta(days=settings.reconcile_comments_max_age_days):
        return None
    if age < timedelta(hours=24):
        return settings.reconcile_interval_s
    if age < timedelta(days=7):
        return settings.reconcile_comments_week_interval_s
    return settings.reconcile_comments_old_interval_s


async def _comments_due(
    redis: aioredis.Redis, media_id: str, age: timedelta, settings: Settings
) -> bool:
    interval = comment_poll_interval(age, settings)
    if interval is None:
        return False
    # a key that lives a little less than the interval: the poll after it has expired runs,
    # and a second Beat or an overlapping run in between skips the post
    return bool(
        await redis.set(f"reconcile:comments:{media_id}", 1, nx=True, px=int(interval * 900))
    )


async def _comment_events(
    client: InstagramClient, now: datetime, settings: Settings, redis: aioredis.Redis
) -> list[NormalizedEvent]:
    events = []
    for media in await client.list_media(limit=settings.reconcile_media_limit):
        posted = from_graph_time(media.get("timestamp")) or now
        if not await _comments_due(redis, str(media["id"]), now - posted, settings):
            continue
        for item in await client.list_comments(str(media["id"])):
            events.append(listing.comment(client.ig_id, str(media["id"]), item))
    return events


async def run_radar(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    now: datetime | None = None,
) -> RadarResult:
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=settings.reconcile_lookback_h)
    accounts = await _instagram_accounts(pool)
    seen = found = 0
    for account in accounts:
        try:
            client = clients_for(account, settings=settings, http=http, redis=redis)
            assert isinstance(client, InstagramClient)
            events = await _conversation_events(client, since) + await _comment_events(
                client, now, settings, redis
            )
        except GraphAPIError as exc:
            # one account's trouble (throttled, token) must not stop the others
            log.warning(
                "reconciliation skipped an account",
                account=account["account_external_id"],
                error=str(exc),
            )
            async with privileged_session(pool) as conn:
                await token_health.record_refusal(
                    conn, account_id=account["id"], exc=exc, settings=settings
                )
            continue
        if token_health.needs_clearing(account):
            async with privileged_session(pool) as conn:
                await token_health.record_success(conn, account_id=account["id"])
        seen += len(events)
        found += len(await store_and_enqueue(pool, redis, [(e.platform.value, e) for e in events]))
    if found:
        log.warning("reconciliation found events the webhooks missed", found=found)
    return RadarResult(accounts=len(accounts), seen=seen, found=found)
