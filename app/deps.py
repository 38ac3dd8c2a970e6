"""FastAPI wiring: who is calling (the bearer token) and for which workspace (`X-Workspace-Id` or
the path). The context itself lives in app/workspaces/context.py."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal, TokenVerifier
from app.config import Settings
from app.db.session import Pool
from app.errors import InvalidInput, Unauthorized
from app.workspaces.context import UserSession, WorkspaceContext, resolve_workspace

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


async def get_user_session(request: Request, pool: DbPool, principal: CurrentUser) -> UserSession:
    return UserSession(pool=pool, principal=principal, memberships=request.app.state.memberships)


CurrentUserSession = Annotated[UserSession, Depends(get_user_session)]


async def get_workspace(
    request: Request,
    user: CurrentUserSession,
    x_workspace_id: Annotated[
        str | None,
        Header(
            description="the workspace to act in; left out: the caller's default workspace",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
) -> WorkspaceContext:
    """The workspace named by `X-Workspace-Id`, else the caller's default one."""
    requested: UUID | None = None
    if x_workspace_id is not None:  # an empty header is a mistake, not "any workspace"
        try:
            requested = UUID(x_workspace_id)
        except ValueError as exc:
            raise InvalidInput(
                "X-Workspace-Id is not a UUID", error_code="invalid_workspace_id"
            ) from exc
    context = await resolve_workspace(user, requested)
    request.state.workspace_id = str(context.workspace_id)
    return context


CurrentWorkspace = Annotated[WorkspaceContext, Depends(get_workspace)]


async def get_path_workspace(
    request: Request, workspace_id: UUID, user: CurrentUserSession
) -> WorkspaceContext:
    context = await resolve_workspace(user, workspace_id)
    request.state.workspace_id = str(context.workspace_id)
    return context


PathWorkspace = Annotated[WorkspaceContext, Depends(get_path_workspace)]
