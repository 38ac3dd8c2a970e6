"""Connecting an Instagram professional account with Instagram Login (OAuth).

`start` gives the authorize URL with a signed, expiring `state` bound to the workspace and the
person connecting; Meta sends the browser back to `finish` with a code (or a denial). The code
becomes a short-lived then a long-lived token, the account behind it is read and must be a
professional one, it must not belong to another workspace, it is subscribed to our webhooks,
and only then stored (token encrypted). Every outcome is a result for the page the browser
lands on, never a half-stored account."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import jwt

from app.audit.repo import write_audit
from app.config import Settings
from app.db.session import Claims, Pool, tenant_session
from app.logging import get_logger
from app.platforms.meta import instagram_login
from app.platforms.meta.errors import GraphAPIError
from app.security.crypto import encrypt_secret
from app.social_accounts import connect, repo
from app.workspaces import repo as workspaces_repo
from app.workspaces.context import WorkspaceContext

log = get_logger("instagram_connect")

_AUDIENCE = "socialsync:instagram-connect"
_MANAGERS = ("owner", "manager")

# what the person sees after Meta sends them back, and what to do next
MESSAGES = {
    "connected": "Instagram account @{username} is connected: the bot answers its messages "
    "and comments.",
    "denied": "You did not allow SocialSync on Instagram. Nothing was connected; start again "
    "from the settings when you are ready.",
    "invalid_state": "This connect link is not valid or has expired. Start again from the "
    "settings.",
    "not_allowed": "You are no longer an owner or manager of this workspace: ask one to connect "
    "the account.",
    "wrong_account_type": "@{username} is a personal Instagram account. Switch it to a "
    "professional (business or creator) account in the Instagram app, then connect it again.",
    "in_another_workspace": "@{username} is already connected to another workspace. Disconnect "
    "it there first.",
    "meta_error": "Instagram refused the connection ({detail}). Start again; if it keeps "
    "failing, check the app's Instagram Login settings.",
    "meta_unavailable": "Instagram did not answer. Nothing was connected; try again in a minute.",
}


@dataclass(frozen=True)
class Outcome:
    result: str
    username: str | None = None
    detail: str | None = None

    @property
    def message(self) -> str:
        return MESSAGES[self.result].format(
            username=self.username or "the account", detail=self.detail or "unknown error"
        )


def redirect_uri(settings: Settings) -> str:
    return f"{settings.api_base_url}/api/social-accounts/instagram/callback"


def start(ws: WorkspaceContext, settings: Settings) -> str:
    ws.require("manager")
    now = int(time.time())
    state = jwt.encode(
        {
            "aud": _AUDIENCE,
            "sub": str(ws.principal.user_id),
            "ws": str(ws.workspace_id),
            "iat": now,
            "exp": now + settings.oauth_state_ttl_s,
            "nonce": secrets.token_urlsafe(8),
        },
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    return instagram_login.authorize_url(settings, state=state, redirect_uri=redirect_uri(settings))


def _read_state(settings: Settings, state: str | None) -> tuple[UUID, UUID] | None:
    if not state:
        return None
    try:
        claims = jwt.decode(
            state, settings.jwt_secret.get_secret_value(), algorithms=["HS256"], audience=_AUDIENCE
        )
        return UUID(claims["sub"]), UUID(claims["ws"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


async def finish(
    pool: Pool,
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
) -> Outcome:
    bound = _read_state(settings, state)
    if bound is None:
        return Outcome("invalid_state")
    user_id, workspace_id = bound
    if error or not code:
        return Outcome("denied")
    claims = Claims.for_user(user_id)
    async with tenant_session(pool, claims) as conn:
        membership = await workspaces_repo.membership_of(
            conn, user_id=user_id, workspace_id=workspace_id
        )
    if membership is None or membership["role"] not in _MANAGERS:
        return Outcome("not_allowed")
    try:
        granted = await instagram_login.exchange_code(
            settings, http, code=code.removesuffix("#_"), redirect_uri=redirect_uri(settings)
        )
        token, lifetime = await instagram_login.long_lived(
            settings, http, str(granted["access_token"])
        )
        account = await instagram_login.professional_account(settings, http, token)
    except GraphAPIError as exc:
        return _meta_outcome(exc)
    ig_id, username = str(account.get("user_id") or granted["user_id"]), account.get("username")
    if str(account.get("account_type", "")).upper() not in instagram_login.PROFESSIONAL:
        return Outcome("wrong_account_type", username)
    async with tenant_session(pool, claims) as conn:
        if await repo.taken_elsewhere(
            conn, platform="instagram", external_id=ig_id, workspace_id=workspace_id
        ):
            return Outcome("in_another_workspace", username)
    try:
        await instagram_login.subscribe(settings, http, token, ig_id)
    except GraphAPIError as exc:
        return _meta_outcome(exc)
    async with tenant_session(pool, claims) as conn:
        row = await repo.upsert_account(
            conn,
            workspace_id=workspace_id,
            platform="instagram",
            external_id=ig_id,
            display_name=account.get("name"),
            username=username,
            access_token_encrypted=encrypt_secret(token),
            token_expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
            settings=_granted(granted, account),
        )
        await write_audit(
            conn,
            workspace_id=workspace_id,
            actor_user_id=user_id,
            action="social_account.connected",
            target_type="social_account",
            target_id=str(row["id"]),
            details={"platform": "instagram", "username": username},
        )
    await connect.adopt_held_events(pool, settings, row, actor_user_id=user_id)
    log.info("instagram account connected", ig_id=ig_id)
    return Outcome("connected", username)


def _granted(granted: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
    permissions = granted.get("permissions")
    if isinstance(permissions, str):
        permissions = [p for p in permissions.split(",") if p]
    return {
        "permissions": permissions or [],
        "profile_picture_url": account.get("profile_picture_url"),
        "account_type": account.get("account_type"),
    }


def _meta_outcome(exc: GraphAPIError) -> Outcome:
    log.warning("instagram connect failed", error=str(exc))
    if exc.transient:
        return Outcome("meta_unavailable")
    return Outcome("meta_error", detail=exc.message[:200])
