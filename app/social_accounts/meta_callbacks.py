"""Meta's deauthorize and data-deletion callbacks for Instagram Login (META-CONNECT.md §1).

Both arrive as a form field `signed_request` naming only the Instagram account (`user_id`),
signed with the Instagram app secret. Deauthorize: the person removed SocialSync on Instagram,
so the token is dead; the account is disconnected where it is connected and staff are told
why. Data deletion: the account and everything received for it (contacts, conversations,
messages, comments, posts, raw updates) is deleted at once, and Meta gets a confirmation code
with a page where the person can check it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from app.audit.repo import write_audit
from app.config import Settings
from app.db.session import Pool, privileged_session
from app.logging import get_logger
from app.platforms.meta import signed_request
from app.social_accounts import repo, token_health
from app.webhooks import repo as webhooks_repo

log = get_logger("meta_callbacks")

PLATFORM = "instagram"


@dataclass(frozen=True)
class DeletionReceipt:
    url: str
    confirmation_code: str


def _account_id(settings: Settings, signed: str) -> str:
    secret = settings.app_secret_for(PLATFORM).get_secret_value()
    return str(signed_request.verify(signed, secret)["user_id"])


async def deauthorize(pool: Pool, settings: Settings, signed: str) -> int:
    """Returns how many accounts were disconnected (0 for one we never had)."""
    account = _account_id(settings, signed)
    async with privileged_session(pool) as conn:
        touched = await repo.mark_deauthorized(
            conn, platform=PLATFORM, external_id=account, problem=token_health.DEAUTHORIZED
        )
        for row in touched:
            await _audit(conn, row, "social_account.deauthorized")
    log.warning("instagram account deauthorized our app", account=account, found=len(touched))
    return len(touched)


async def delete_data(pool: Pool, settings: Settings, signed: str) -> DeletionReceipt:
    account = _account_id(settings, signed)
    code = secrets.token_urlsafe(12)
    async with privileged_session(pool) as conn:
        await webhooks_repo.delete_account_events(
            conn, platform=PLATFORM, account_external_id=account
        )
        deleted = await repo.delete_by_external_id(conn, platform=PLATFORM, external_id=account)
        for row in deleted:
            await _audit(conn, row, "social_account.data_deleted")
        await repo.record_deletion_request(
            conn,
            code=code,
            platform=PLATFORM,
            platform_user_id=account,
            accounts_deleted=len(deleted),
        )
    log.warning("instagram account's data deleted on Meta's request", found=len(deleted))
    return DeletionReceipt(
        url=f"{settings.api_base_url.rstrip('/')}/webhooks/instagram/data-deletion/{code}",
        confirmation_code=code,
    )


async def deletion_status(pool: Pool, code: str) -> dict[str, Any] | None:
    async with privileged_session(pool) as conn:
        return await repo.deletion_request(conn, code=code)


async def _audit(conn: Any, row: dict[str, Any], action: str) -> None:
    """The workspace's owners see what Meta asked for, and when."""
    await write_audit(
        conn,
        workspace_id=row["workspace_id"],
        actor_user_id=None,
        action=action,
        target_type="social_account",
        target_id=str(row["id"]),
        details={"platform": PLATFORM, "requested_by": "meta"},
    )
