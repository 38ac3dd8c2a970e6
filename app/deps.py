"""Typed dependencies shared by the routers: who is calling, for which workspace, with what role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal, TokenVerifier
from app.config import Settings
from app.db.session import Claims, Conn, Pool, tenant_session
from app.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from app.workspaces import repo as workspaces_repo
from app.workspaces.schemas import Role

ROLE_RANK = {"agent": 1, "manager": 2, "owner": 3}

# Every dependency here is `async def`: FastAPI runs plain `def` dependencies in a thread pool,
# which costs more than the work they do.

_bearer = HTTPBearer(auto_error=False)


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_pool(request: Request) -> Pool:
    return request.app.state.pool


async def get_verifier(request: Request) -> TokenVerifier:
    return request.app.state.verifier


AppSettings = Annotated[Settings, Depends(get_settings_dep)]
DbPool = Annotated[Pool, Depends(get_pool)]


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "send 'Authorization: Bearer <access token>'", error_code="missing_token"
        )
    principal = verifier.verify(credentials.credentials)
    request.state.user_id = str(principal.user_id)
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


@dataclass(frozen=True)
class UserSession:
    """A signed-in user's database access: every transaction runs under their JWT claims."""

    pool: Pool
    principal: Principal

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

    def require(self, min_role: str) -> None:
        if ROLE_RANK[self.role] < ROLE_RANK[min_role]:
            raise Forbidden(
                f"this needs the {min_role} role in the workspace; you are {self.role}",
                error_code="insufficient_role",
            )


async def get_user_session(pool: DbPool, principal: CurrentUser) -> UserSession:
    return UserSession(pool=pool, principal=principal)


CurrentUserSession = Annotated[UserSession, Depends(get_user_session)]


async def get_workspace(
    request: Request,
    user: CurrentUserSession,
    x_workspace_id: Annotated[
        str | None,
        Header(
            description="the workspace to act in; left out: the caller's first workspace",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
) -> WorkspaceContext:
    """The workspace named by `X-Workspace-Id`, else the caller's first one. A workspace the
    caller is not a member of answers 404, so ids of other tenants reveal nothing."""
    requested: UUID | None = None
    if x_workspace_id is not None:  # an empty header is a mistake, not "any workspace"
        try:
            requested = UUID(x_workspace_id)
        except ValueError as exc:
            raise InvalidInput(
                "X-Workspace-Id is not a UUID", error_code="invalid_workspace_id"
            ) from exc
    context = await _resolve_workspace(user, requested)
    request.state.workspace_id = str(context.workspace_id)
    return context


async def _resolve_workspace(user: UserSession, requested: UUID | None) -> WorkspaceContext:
    async with user.session() as conn:
        membership = await workspaces_repo.membership_of(
            conn, user_id=user.principal.user_id, workspace_id=requested
        )
    if membership is None:
        if requested is None:
            raise NotFound("you have no workspace yet: create one first", error_code="no_workspace")
        raise NotFound("workspace not found", error_code="workspace_not_found")
    return WorkspaceContext(
        pool=user.pool,
        principal=user.principal,
        workspace_id=membership["workspace_id"],
        role=membership["role"],
    )


CurrentWorkspace = Annotated[WorkspaceContext, Depends(get_workspace)]


async def get_path_workspace(
    request: Request, workspace_id: UUID, user: CurrentUserSession
) -> WorkspaceContext:
    context = await _resolve_workspace(user, workspace_id)
    request.state.workspace_id = str(context.workspace_id)
    return context


PathWorkspace = Annotated[WorkspaceContext, Depends(get_path_workspace)]


def require_role(min_role: str) -> Any:
    async def check(workspace: CurrentWorkspace) -> WorkspaceContext:
        workspace.require(min_role)
        return workspace

    return Depends(check)
