"""Beat: refresh long-lived Instagram tokens before they expire, and flag the ones that fail.

Instagram Login tokens last 60 days and can be refreshed once at least 24 h old and not yet
expired (META.md); an expired or revoked token (error 190) cannot be refreshed: the account is
counted against the account by token_health, which flags it for reconnection. WhatsApp
system-user tokens and Facebook Page tokens do not expire, so only Instagram accounts with an
expiry are considered. Afterwards, an account whose token still runs out before one of its
queued posts is due is flagged, so staff reconnect it before the post fails."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis

from app.config import Settings
from app.db.session import Pool, privileged_session
from app.logging import get_logger
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import GraphAPIError, TokenExpiredError
from app.platforms.meta.instagram import InstagramClient
from app.security.crypto import decrypt_secret, encrypt_secret
from app.social_accounts import repo, token_health

log = get_logger("token_refresh")

MIN_TOKEN_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class RefreshResult:
    checked: int = 0
    refreshed: int = 0
    expired: int = 0
    failed: int = 0
    ending_before_posts: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


async def _due_accounts(pool: Pool, horizon: datetime) -> list[dict[str, Any]]:
    async with privileged_session(pool) as conn:
        return await repo.tokens_expiring_before(conn, horizon=horizon)


async def _claim(pool: Pool, account_id: Any, issued_at: datetime) -> bool:
    """Take the account for one refresh: Meta's refresh call is not free to repeat, and two
    overlapping runs (two Beat slots, two workers) must not both make it."""
    async with privileged_session(pool) as conn:
        return await repo.claim_token_refresh(conn, account_id=account_id, issued_at=issued_at)


async def _set_status(pool: Pool, account_id: Any, status: str) -> None:
    async with privileged_session(pool) as conn:
        await repo.set_token_status(conn, account_id=account_id, status=status)


async def _store_token(
    pool: Pool, account_id: Any, token: str, expires_at: datetime, now: datetime
) -> None:
    async with privileged_session(pool) as conn:
        await repo.store_refreshed_token(
            conn,
            account_id=account_id,
            token_encrypted=encrypt_secret(token),
            expires_at=expires_at,
            now=now,
        )


async def refresh_expiring_tokens(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    now: datetime | None = None,
) -> RefreshResult:
    now = now or datetime.now(UTC)
    accounts = await _due_accounts(pool, now + timedelta(days=settings.token_refresh_before_days))
    refreshed = expired = failed = 0
    for account in accounts:
        if account["token_expires_at"] <= now:
            await _set_status(pool, account["id"], "expired")
            expired += 1
            continue
        if now - account["token_issued_at"] < MIN_TOKEN_AGE:
            continue  # Meta refuses to refresh a token younger than a day
        if not await _claim(pool, account["id"], account["token_issued_at"]):
            continue  # another run has it, or refreshed it since we looked
        try:
            # clients_for refuses an account without a usable token (TokenExpiredError)
            client = clients_for(account, settings=settings, http=http, redis=redis)
            assert isinstance(client, InstagramClient)
            answer = await client.refresh_token(
                decrypt_secret(account["access_token_encrypted"]) or ""
            )
            token, lifetime = str(answer["access_token"]), int(answer["expires_in"])
        except TokenExpiredError as exc:
            log.warning(
                "token refused on refresh", account=account["account_external_id"], error=str(exc)
            )
            async with privileged_session(pool) as conn:
                flagged = await token_health.record_refusal(
                    conn, account_id=account["id"], exc=exc, settings=settings
                )
                await repo.release_token_refresh(conn, account_id=account["id"])
            expired += flagged
            failed += not flagged
            continue
        except (GraphAPIError, KeyError, ValueError) as exc:
            # PermanentError included: a refused refresh request says nothing about the token
            # throttled or down: still valid for now, tried again on the next run
            log.warning(
                "token refresh failed; will retry",
                account=account["account_external_id"],
                error=str(exc),
            )
            await _set_status(pool, account["id"], "expiring")
            failed += 1
            continue
        await _store_token(pool, account["id"], token, now + timedelta(seconds=lifetime), now)
        refreshed += 1
    async with privileged_session(pool) as conn:
        # within the refresh horizon a token should have been renewed by now; one that was not
        # and ends before a queued post will fail that post
        at_risk = await repo.flag_tokens_ending_before_posts(
            conn,
            horizon=now + timedelta(days=settings.token_refresh_before_days),
            problem=token_health.EXPIRES_BEFORE_POST,
        )
    return RefreshResult(
        checked=len(accounts),
        refreshed=refreshed,
        expired=expired,
        failed=failed,
        ending_before_posts=at_risk,
    )
