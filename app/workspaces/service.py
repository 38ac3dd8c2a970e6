"""Workspace rules: who may add, promote and remove members, and that a workspace never loses
its last owner."""

from __future__ import annotations

from uuid import UUID

import httpx

from app.audit import repo as audit_repo
from app.auth import repo as auth_repo
from app.config import Settings
from app.db.session import Conn, privileged_session
from app.errors import Conflict, InvalidInput, NotFound
from app.mail.sender import Mailer
from app.pagination import Page, page_of, time_id_cursor
from app.social_accounts import connect
from app.workspaces import invites, repo
from app.workspaces.context import UserSession, WorkspaceContext
from app.workspaces.schemas import (
    InviteOut,
    MemberInvite,
    MemberOut,
    WorkspaceDetail,
    WorkspaceOut,
    WorkspaceUpdate,
)


async def create_workspace(
    user: UserSession, *, name: str, timezone: str | None = None
) -> WorkspaceOut:
    async with user.session() as conn:
        workspace_id = await repo.create_workspace(conn, name=name)
        if timezone is not None:  # its creator is its owner: allowed to set it
            await repo.update_workspace(
                conn, workspace_id=workspace_id, name=None, timezone=timezone
            )
        await audit_repo.write_audit(
            conn,
            workspace_id=workspace_id,
            actor_user_id=user.principal.user_id,
            action="workspace.created",
            target_type="workspace",
            target_id=str(workspace_id),
        )
        row = await repo.get_workspace(conn, workspace_id=workspace_id)
    assert row is not None
    user.memberships_changed()
    return WorkspaceOut(**row, role="owner")


async def list_workspaces(
    user: UserSession, *, limit: int, cursor: str | None
) -> Page[WorkspaceOut]:
    async with user.session() as conn:
        rows = await repo.list_workspaces(
            conn, user_id=user.principal.user_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(
        rows,
        limit=limit,
        key=lambda r: (r["created_at"], r["id"]),
        item=lambda r: WorkspaceOut(**r),
    )


async def update_workspace(ws: WorkspaceContext, body: WorkspaceUpdate) -> WorkspaceOut:
    ws.require("owner")
    async with ws.session() as conn:
        row = await repo.update_workspace(
            conn, workspace_id=ws.workspace_id, name=body.name, timezone=body.timezone
        )
        if row is None:
            raise NotFound("workspace not found", error_code="workspace_not_found")
        await audit_repo.write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="workspace.updated",
            target_type="workspace",
            target_id=str(ws.workspace_id),
            details=body.model_dump(exclude_none=True),
        )
    return WorkspaceOut(**row, role=ws.role)


async def get_workspace(ws: WorkspaceContext) -> WorkspaceDetail:
    async with ws.session() as conn:
        row = await repo.get_workspace(conn, workspace_id=ws.workspace_id)
        members = await repo.list_members(conn, workspace_id=ws.workspace_id)
    if row is None:
        raise NotFound("workspace not found", error_code="workspace_not_found")
    return WorkspaceDetail(**row, role=ws.role, members=[MemberOut(**m) for m in members])


async def _existing_account(
    ws: WorkspaceContext, invite: MemberInvite
) -> tuple[UUID, str | None] | None:
    if invite.user_id is not None:
        return invite.user_id, invite.email
    assert invite.email is not None
    # Looking up another person's account by email is not something a tenant can do; with
    # Supabase Auth (no local accounts) everybody added by email is invited.
    async with privileged_session(ws.pool) as conn:
        user = await auth_repo.find_user_by_email(conn, invite.email)
    return (user["id"], user["email"]) if user else None


async def add_member(
    ws: WorkspaceContext, invite: MemberInvite, *, settings: Settings, mailer: Mailer
) -> MemberOut | InviteOut:
    """Someone with an account joins at once; an address without one gets an invitation."""
    ws.require("owner")
    existing = await _existing_account(ws, invite)
    if existing is None:
        assert invite.email is not None
        return await invites.invite(
            ws, email=invite.email, role=invite.role, settings=settings, mailer=mailer
        )
    user_id, email = existing
    async with ws.session() as conn:
        row = await repo.add_member(
            conn, workspace_id=ws.workspace_id, user_id=user_id, email=email, role=invite.role
        )
        if row is None:
            raise Conflict("already a member of this workspace", error_code="already_member")
        await audit_repo.write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="member.added",
            target_type="user",
            target_id=str(user_id),
            details={"role": invite.role},
        )
    ws.memberships_changed()
    return MemberOut(**row)


async def _guard_last_owner(conn: Conn, ws: WorkspaceContext, user_id: UUID) -> None:
    current = await repo.member_role(conn, workspace_id=ws.workspace_id, user_id=user_id)
    if current is None:
        raise NotFound("not a member of this workspace", error_code="member_not_found")
    if current == "owner" and await repo.count_owners(conn, workspace_id=ws.workspace_id) <= 1:
        raise Conflict("a workspace needs at least one owner", error_code="last_owner")


async def change_role(ws: WorkspaceContext, *, user_id: UUID, role: str) -> MemberOut:
    ws.require("owner")
    async with ws.session() as conn:
        if role != "owner":
            await _guard_last_owner(conn, ws, user_id)
        row = await repo.set_member_role(
            conn, workspace_id=ws.workspace_id, user_id=user_id, role=role
        )
        if row is None:
            raise NotFound("not a member of this workspace", error_code="member_not_found")
        await audit_repo.write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="member.role_changed",
            target_type="user",
            target_id=str(user_id),
            details={"role": role},
        )
    ws.memberships_changed()
    return MemberOut(**row)


async def remove_member(ws: WorkspaceContext, *, user_id: UUID) -> None:
    # Anyone may leave; removing somebody else takes an owner.
    if user_id != ws.principal.user_id:
        ws.require("owner")
    async with ws.session() as conn:
        await _guard_last_owner(conn, ws, user_id)
        if user_id == ws.principal.user_id and ws.role != "owner":
            # A non-owner's own row is not deletable under RLS (owner-only policy): leaving is
            # an explicit, audited act instead.
            raise Conflict("ask an owner to remove you", error_code="cannot_leave")
        await repo.remove_member(conn, workspace_id=ws.workspace_id, user_id=user_id)
        await audit_repo.write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="member.removed",
            target_type="user",
            target_id=str(user_id),
        )
    ws.memberships_changed()


async def make_default(ws: WorkspaceContext) -> WorkspaceOut:
    """The workspace this user's requests use when they name none."""
    async with ws.session() as conn:
        if not await repo.set_default_workspace(conn, workspace_id=ws.workspace_id):
            raise NotFound("workspace not found", error_code="workspace_not_found")
        row = await repo.get_workspace(conn, workspace_id=ws.workspace_id)
    assert row is not None
    ws.memberships_changed()
    return WorkspaceOut(**row, role=ws.role, is_default=True)


async def delete_workspace(
    ws: WorkspaceContext, *, confirm_name: str, settings: Settings, http: httpx.AsyncClient
) -> None:
    """Owners only, naming the workspace exactly: its accounts are disconnected first (Meta
    stops sending their updates), then everything in it is deleted."""
    ws.require("owner")
    async with ws.session() as conn:
        row = await repo.get_workspace(conn, workspace_id=ws.workspace_id)
    if row is None:
        raise NotFound("workspace not found", error_code="workspace_not_found")
    if confirm_name != row["name"]:
        raise InvalidInput(
            "to delete the workspace, confirm_name must be its exact name",
            error_code="confirmation_mismatch",
        )
    await connect.unsubscribe_all(ws, settings=settings, http=http)
    async with ws.session() as conn:
        if not await repo.delete_workspace(conn, workspace_id=ws.workspace_id):
            raise NotFound("workspace not found", error_code="workspace_not_found")
    ws.memberships_changed()
