"""Whether a connected account's token still works, from what Meta answers (META-CONNECT.md §5).

Only a refused token (190, 102, WhatsApp 0) counts against an account. Throttling, downtime,
a missing permission or a bad request never do: they say nothing about the token. A definite
reason (app removed, password changed, logged out, checkpoint, no Page role) flags the account
at once; a bare 190 flags it on the second refusal inside a window with no success between,
since Meta sometimes answers 190 for a moment during its own incidents. Any later success
lifts the flag. Every caller that talks to Meta with an account's token reports here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import Settings
from app.db.session import Conn
from app.logging import get_logger
from app.platforms.meta.errors import GraphAPIError, TokenExpiredError
from app.social_accounts import repo
from app.social_accounts.schemas import TokenHealthOut

log = get_logger("token_health")

RECONNECT = "reconnect"
ACT_ON_PLATFORM = "act_on_platform"
RECONNECT_AS_PAGE_ADMIN = "reconnect_as_page_admin"
DEAUTHORIZED = "deauthorized"
EXPIRES_BEFORE_POST = "expires_before_post"

# 190's subcodes that leave no doubt (Meta's error-handling guide)
_DEFINITE = {
    458: RECONNECT,  # the app was removed
    460: RECONNECT,  # the password changed
    463: RECONNECT,  # expired
    467: RECONNECT,  # logged out
    459: ACT_ON_PLATFORM,  # checkpointed
    464: ACT_ON_PLATFORM,  # unconfirmed user
    492: RECONNECT_AS_PAGE_ADMIN,
}


@dataclass(frozen=True)
class Refusal:
    problem: str
    at_once: bool


def refusal(exc: GraphAPIError) -> Refusal | None:
    """What a Graph error says about the token, or None when it says nothing."""
    if not isinstance(exc, TokenExpiredError) or exc.status is None:
        # no status: raised by us (no stored token), not an answer from Meta
        return None
    if exc.code == 190 and exc.subcode in _DEFINITE:
        return Refusal(_DEFINITE[exc.subcode], at_once=True)
    return Refusal(RECONNECT, at_once=exc.code == 102)


async def record_refusal(
    conn: Conn, *, account_id: Any, exc: GraphAPIError, settings: Settings
) -> bool:
    """Counts `exc` against the account if it is about the token; True when the account is
    now flagged for reconnection."""
    verdict = refusal(exc)
    if verdict is None:
        return False
    status = await repo.note_token_refused(
        conn,
        account_id=account_id,
        problem=verdict.problem,
        error=str(exc),
        at_once=verdict.at_once,
        flag_after=settings.token_flag_after_failures,
        window_s=settings.token_failure_window_s,
    )
    if status == "needs_reconnect":
        log.warning("account needs reconnecting", account_id=str(account_id), error=str(exc))
    return status == "needs_reconnect"


async def record_success(conn: Conn, *, account_id: Any) -> None:
    await repo.note_token_worked(conn, account_id=account_id)


def needs_clearing(account: dict[str, Any]) -> bool:
    """Whether a success must be written back (a healthy account costs no write)."""
    return bool(account.get("token_failures")) or account.get("token_status") == "needs_reconnect"


_ADVICE = {
    RECONNECT: "Meta no longer accepts this account's access token. Reconnect the account.",
    ACT_ON_PLATFORM: "Meta has locked this login until its owner acts in the Instagram or "
    "Facebook app (a security check or an unconfirmed account). Do that, then reconnect.",
    RECONNECT_AS_PAGE_ADMIN: "The person who connected this account is no longer an admin of "
    "its Facebook Page. Reconnect it as a Page admin.",
    DEAUTHORIZED: "SocialSync was removed from this account's settings on Instagram or "
    "Facebook. Reconnect the account to resume.",
    EXPIRES_BEFORE_POST: "The access token expires before a scheduled post's time and could "
    "not be refreshed. Reconnect the account before then.",
}

_RECONNECT_PATHS = {
    "instagram": "/api/social-accounts/instagram/connect",
    "whatsapp": "/api/social-accounts/whatsapp",
}


def health_of(account: dict[str, Any]) -> TokenHealthOut:
    """What staff are shown: what is wrong, what to do, and where to reconnect."""
    status = account["token_status"]
    problem = account.get("token_problem")
    if problem is None and status in ("expired", "missing"):
        problem = RECONNECT
    if problem is None:
        return TokenHealthOut()
    return TokenHealthOut(
        problem=problem,
        advice=_ADVICE.get(problem),
        reconnect_path=_RECONNECT_PATHS[account["platform"]],
        last_error=account.get("token_error"),
        failed_at=account.get("token_failed_at"),
    )
