"""Inviting people by email. An invite names an address and a role; its link carries a random
token (only its hash is stored) and works until INVITE_TTL_S, once, for someone signed in with
that address. With SMTP the link is emailed; without it the owner gets it to pass on."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode
from uuid import UUID

from app.audit.record import record
from app.config import Settings
from app.db.session import privileged_session
from app.errors import Conflict, Forbidden, NotFound
from app.mail.sender import Mail, Mailer
from app.pagination import Page, page_of, time_id_cursor
from app.workspaces import repo
from app.workspaces.context import UserSession, WorkspaceContext
from app.workspaces.schemas import InviteOut

INVITE_MAIL = """Hello,

{inviter} invited you to the workspace "{workspace}" on SocialSync, as {role}.

To join, open this link (it works until {expires:%Y-%m-%d %H:%M} UTC) and sign in or create
an account with this email address ({email}):

{link}
"""

# what the invitee is told when the link cannot be used, by outcome of app.accept_invite
REFUSALS = {
    "not_found": "This invitation link is not valid. Ask for a new invitation.",
    "revoked": "This invitation was withdrawn. Ask the workspace's owner for a new one.",
    "used": "This invitation was accepted already.",
    "expired": "This invitation has expired. Ask the workspace's owner for a new one.",
    "wrong_email": "This invitation is for another email address: sign in with the address "
    "it was sent to.",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(settings: Settings, token: str) -> str:
    return f"{settings.api_base_url}/invite?{urlencode({'token': token})}"


def status_of(row: dict[str, Any]) -> Literal["pending", "accepted", "revoked", "expired"]:
    if row["accepted_at"] is not None:
        return "accepted"
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] < datetime.now(UTC):
        return "expired"
    return "pending"


def invite_out(row: dict[str, Any], **extra: Any) -> InviteOut:
    return InviteOut(**row, status=status_of(row), **extra)


async def invite(
    ws: WorkspaceContext, *, email: str, role: str, settings: Settings, mailer: Mailer
) -> InviteOut:
    ws.require("owner")
    token = secrets.token_urlsafe(32)
    async with ws.session() as conn:
        row = await repo.create_invite(
            conn,
            workspace_id=ws.workspace_id,
            email=email,
            role=role,
            token_hash=token_hash(token),
            invited_by=ws.principal.user_id,
            ttl_s=settings.invite_ttl_s,
        )
        workspace = await repo.get_workspace(conn, workspace_id=ws.workspace_id)
        await record(conn, ws, "member.invited", "invite", row["id"], email=email, role=role)
    assert workspace is not None
    link = invite_link(settings, token)
    emailed = await mailer.send(
        Mail(
            to=email,
            subject=f"You are invited to {workspace['name']} on SocialSync",
            text=INVITE_MAIL.format(
                inviter=ws.principal.email or "A colleague",
                workspace=workspace["name"],
                role=role,
                expires=row["expires_at"],
                email=email,
                link=link,
            ),
        )
    )
    return invite_out(row, emailed=emailed, invite_url=None if emailed else link)


async def list_invites(ws: WorkspaceContext, *, limit: int, cursor: str | None) -> Page[InviteOut]:
    ws.require("owner")
    async with ws.session() as conn:
        rows = await repo.list_invites(
            conn, workspace_id=ws.workspace_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: invite_out(r)
    )


async def revoke(ws: WorkspaceContext, invite_id: UUID) -> InviteOut:
    ws.require("owner")
    async with ws.session() as conn:
        row = await repo.revoke_invite(conn, workspace_id=ws.workspace_id, invite_id=invite_id)
        if row is None:
            raise NotFound(
                "no pending invitation with this id in the workspace", error_code="invite_not_found"
            )
        await record(conn, ws, "member.invite_revoked", "invite", invite_id)
    return invite_out(row)


async def accept(user: UserSession, token: str) -> tuple[UUID, str]:
    """Joins the invite's workspace with its role: (workspace id, role)."""
    async with user.session() as conn:
        result = await repo.accept_invite(conn, token_hash=token_hash(token))
    outcome = result["outcome"]
    if outcome == "joined":
        user.memberships_changed()
        return result["workspace_id"], result["role"]
    message = REFUSALS[outcome]
    if outcome == "not_found":
        raise NotFound(message, error_code="invite_not_found")
    if outcome == "wrong_email":
        raise Forbidden(message, error_code="invite_for_another_email")
    raise Conflict(message, error_code=f"invite_{outcome}")


async def preview(pool: Any, token: str) -> dict[str, Any] | None:
    """What the invite page shows before anyone signs in."""
    async with privileged_session(pool) as conn:
        return await repo.invite_by_token(conn, token_hash=token_hash(token))
