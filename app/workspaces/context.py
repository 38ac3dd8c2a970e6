"""Who is acting, in which workspace, with what role: the request-independent context that
services take. The API builds it (app/deps.py); a worker or a script can too. The one role
check of the codebase is `WorkspaceContext.require`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import UUID

from app.auth.tokens import Principal
from app.db.session import Claims, Conn, Pool, tenant_session
from app.errors import Forbidden, NotFound
from app.workspaces import repo
from app.workspaces.memberships import MembershipCache
from app.workspaces.schemas import Role

ROLE_RANK = {"agent": 1, "manager": 2, "owner": 3}


@dataclass(frozen=True)
class UserSession:
    """A signed-in user's database access: every transaction runs under their JWT claims."""

    pool: Pool
    principal: Principal
    memberships: MembershipCache | None = field(default=None, kw_only=True)

    def memberships_changed(self) -> None:
        """Someone joined, left, changed role or default: look memberships up afresh."""
        if self.memberships is not None:
            self.memberships.clear()

    @property
    def claims(self) -> Claims:
        return Claims.for_user(self.principal.user_id, self.principal.email)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Conn]:
        async with tenant_session(self.pool, self.claims) as conn:
            yield conn


@dataclass(frozen=True)
class WorkspaceContext(UserSession):
    workspace_id: UUID
    role: Role

    def has(self, min_role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[min_role]

    def require(self, min_role: str) -> None:
        if not self.has(min_role):
            raise Forbidden(
                f"this needs the {min_role} role in the workspace; you are {self.role}",
                error_code="insufficient_role",
            )


async def resolve_workspace(user: UserSession, requested: UUID | None) -> WorkspaceContext:
    """The requested workspace, else the user's default one (their chosen default, or the
    oldest membership). Not a member: 404, so other tenants' ids reveal nothing."""
    cache, user_id = user.memberships, user.principal.user_id
    membership = cache.get((user_id, requested)) if cache else None
    if membership is None:
        async with user.session() as conn:
            membership = await repo.membership_of(conn, user_id=user_id, workspace_id=requested)
        if membership is not None and cache is not None:
            cache.put((user_id, requested), membership)
    if membership is None:
        if requested is None:
            raise NotFound("you have no workspace yet: create one first", error_code="no_workspace")
        raise NotFound("workspace not found", error_code="workspace_not_found")
    return WorkspaceContext(
        pool=user.pool,
        principal=user.principal,
        workspace_id=membership["workspace_id"],
        role=membership["role"],
        memberships=user.memberships,
    )
