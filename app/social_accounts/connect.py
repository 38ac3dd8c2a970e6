"""Connecting and disconnecting accounts: everything is checked live with Meta before anything
is stored, so a wrong token or id is an error for the person typing it, never a half-connected
account (META-CONNECT.md §3, manual connection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from app.audit.repo import write_audit
from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from app.logging import get_logger
from app.platforms.meta import embedded_signup, instagram_login
from app.platforms.meta.account_clients import whatsapp_client_for_token
from app.platforms.meta.errors import GraphAPIError, TokenExpiredError
from app.security.crypto import decrypt_secret, encrypt_secret
from app.social_accounts import repo
from app.social_accounts.schemas import EmbeddedSignupIn, WhatsAppConnectIn
from app.webhooks import repo as webhooks_repo
from app.workspaces.context import WorkspaceContext

log = get_logger("social_accounts")

# Meta's codes for a token that is not (or no longer) valid, and for missing permissions
_TOKEN_CODES = {0, 102, 190}
_PERMISSION_CODES = {10, *range(200, 300)}


def _meta_refused(exc: GraphAPIError, *, what: str) -> Exception:
    """Meta's answer as an error the person connecting can act on."""
    if exc.transient:
        return ServiceUnavailable(
            f"Meta did not answer while checking the {what}; try again in a minute",
            error_code="meta_unavailable",
        )
    if isinstance(exc, TokenExpiredError) or exc.code in _TOKEN_CODES:
        return InvalidInput(
            "Meta refused the access token: it is wrong, expired or revoked. Generate a new "
            "system-user token with whatsapp_business_management and whatsapp_business_messaging",
            error_code="meta_token_invalid",
        )
    if exc.code in _PERMISSION_CODES:
        return InvalidInput(
            f"the token has no access to this {what}: give the system user the WhatsApp "
            "Business Account as an asset and both WhatsApp permissions",
            error_code="meta_permission_missing",
        )
    return InvalidInput(
        f"Meta does not know this {what}: check the id ({exc.message})",
        error_code="meta_object_not_found",
    )


async def connect_whatsapp(
    ws: WorkspaceContext, body: WhatsAppConnectIn, *, settings: Settings, http: httpx.AsyncClient
) -> dict[str, Any]:
    ws.require("manager")
    client = whatsapp_client_for_token(
        body.access_token, body.phone_number_id, settings=settings, http=http
    )
    try:
        listed = await client.waba_phone_numbers(body.waba_id)
    except GraphAPIError as exc:
        raise _meta_refused(exc, what="WhatsApp Business Account") from exc
    if body.phone_number_id not in {str(n.get("id")) for n in listed}:
        raise InvalidInput(
            "this phone number id is not a number of that WhatsApp Business Account",
            error_code="phone_number_not_in_waba",
        )
    try:
        number = await client.phone_number_profile()
    except GraphAPIError as exc:
        raise _meta_refused(exc, what="phone number") from exc
    async with ws.session() as conn:
        if await repo.taken_elsewhere(
            conn,
            platform="whatsapp",
            external_id=body.phone_number_id,
            workspace_id=ws.workspace_id,
        ):
            raise Conflict(
                "this WhatsApp number is connected to another workspace; disconnect it there first",
                error_code="account_in_another_workspace",
            )
    try:
        # webhooks for the number reach us only once its WABA is subscribed to our app
        await client.subscribe_waba(body.waba_id)
    except GraphAPIError as exc:
        raise _meta_refused(exc, what="WhatsApp Business Account") from exc
    async with ws.session() as conn:
        row = await repo.upsert_account(
            conn,
            workspace_id=ws.workspace_id,
            platform="whatsapp",
            external_id=body.phone_number_id,
            display_name=number.get("verified_name"),
            username=number.get("display_phone_number"),
            access_token_encrypted=encrypt_secret(body.access_token),
            waba_id=body.waba_id,
            settings={
                "quality_rating": number.get("quality_rating"),
                "name_status": number.get("name_status"),
            },
        )
        await write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="social_account.connected",
            target_type="social_account",
            target_id=str(row["id"]),
            details={"platform": "whatsapp", "phone_number_id": body.phone_number_id},
        )
    await adopt_held_events(ws.pool, settings, row, actor_user_id=ws.principal.user_id)
    log.info("whatsapp number connected", phone_number_id=body.phone_number_id)
    return row


async def connect_embedded_signup(
    ws: WorkspaceContext, body: EmbeddedSignupIn, *, settings: Settings, http: httpx.AsyncClient
) -> dict[str, Any]:
    """Embedded Signup's end: the code becomes the customer's business token at once (it lives
    30 seconds), then the number is checked, subscribed and stored as a manual connection is."""
    ws.require("manager")
    try:
        token = await embedded_signup.exchange_code(settings, http, body.code)
    except GraphAPIError as exc:
        if exc.transient:
            raise _meta_refused(exc, what="signup code") from exc
        raise InvalidInput(
            "Meta refused the signup code: it lives 30 seconds and works once. Run the signup "
            "again and send the new code at once",
            error_code="signup_code_invalid",
        ) from exc
    manual = WhatsAppConnectIn(
        waba_id=body.waba_id, phone_number_id=body.phone_number_id, access_token=token
    )
    return await connect_whatsapp(ws, manual, settings=settings, http=http)


async def disconnect(
    ws: WorkspaceContext, account_id: UUID, *, settings: Settings, http: httpx.AsyncClient
) -> None:
    """Unsubscribe the account from our app (best effort: Meta may be down or the token already
    revoked), delete the token, keep the account's conversations read-only."""
    ws.require("manager")
    async with ws.session() as conn:
        account = await repo.get_account(conn, workspace_id=ws.workspace_id, account_id=account_id)
    if account is None:
        raise NotFound("no such account in this workspace", error_code="account_not_found")
    await _unsubscribe(account, settings=settings, http=http)
    async with ws.session() as conn:
        await repo.mark_disconnected(conn, workspace_id=ws.workspace_id, account_id=account_id)
        await write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="social_account.disconnected",
            target_type="social_account",
            target_id=str(account_id),
            details={"platform": account["platform"]},
        )


async def _unsubscribe(
    account: dict[str, Any], *, settings: Settings, http: httpx.AsyncClient
) -> None:
    """Best effort: Meta may be down or the token already revoked."""
    token = decrypt_secret(account["access_token_encrypted"] or "")
    try:
        if token and account["platform"] == "whatsapp" and account["waba_id"]:
            client = whatsapp_client_for_token(
                token, account["external_id"], settings=settings, http=http
            )
            await client.unsubscribe_waba(account["waba_id"])
        elif token and account["platform"] == "instagram":
            await instagram_login.unsubscribe(settings, http, token, account["external_id"])
    except GraphAPIError as exc:
        log.warning("unsubscribe failed; disconnecting anyway", error=str(exc))


async def unsubscribe_all(
    ws: WorkspaceContext, *, settings: Settings, http: httpx.AsyncClient
) -> None:
    """Before a workspace is deleted: Meta stops sending its accounts' updates."""
    ws.require("owner")
    async with ws.session() as conn:
        accounts = await repo.accounts_with_tokens(conn, workspace_id=ws.workspace_id)
    for account in accounts:
        await _unsubscribe(account, settings=settings, http=http)


async def adopt_held_events(
    pool: Pool, settings: Settings, row: dict[str, Any], *, actor_user_id: UUID
) -> dict[str, int]:
    """What Meta sent for the account before it was connected here becomes the workspace's;
    the owner sees the counts in the audit log."""
    fresh_after = datetime.now(UTC) - timedelta(hours=settings.held_events_answer_within_h)
    async with privileged_session(pool) as conn:
        counts = await webhooks_repo.adopt_held_events(
            conn,
            platform=row["platform"],
            account_external_id=row["external_id"],
            workspace_id=row["workspace_id"],
            social_account_id=row["id"],
            fresh_after=fresh_after,
        )
        if counts["processed"] or counts["kept"]:
            await write_audit(
                conn,
                workspace_id=row["workspace_id"],
                actor_user_id=actor_user_id,
                action="social_account.earlier_updates_adopted",
                target_type="social_account",
                target_id=str(row["id"]),
                details=counts,
            )
    return counts
