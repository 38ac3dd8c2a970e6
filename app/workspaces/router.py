from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from app.deps import CurrentUserSession, PathWorkspace
from app.ratelimit import api_limit
from app.workspaces import service
from app.workspaces.schemas import (
    MemberInvite,
    MemberOut,
    MemberRoleUpdate,
    WorkspaceCreate,
    WorkspaceDetail,
    WorkspaceOut,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/api/workspaces", tags=["workspaces"])


@router.post("", response_model=WorkspaceOut, status_code=201)
@api_limit
async def create_workspace(
    request: Request, body: WorkspaceCreate, user: CurrentUserSession
) -> WorkspaceOut:
    return await service.create_workspace(user, name=body.name, timezone=body.timezone)


@router.get("", response_model=list[WorkspaceOut])
@api_limit
async def list_workspaces(request: Request, user: CurrentUserSession) -> list[WorkspaceOut]:
    return await service.list_workspaces(user)


@router.get("/{workspace_id:uuid}", response_model=WorkspaceDetail)
@api_limit
async def get_workspace(request: Request, ws: PathWorkspace) -> WorkspaceDetail:
    return await service.get_workspace(ws)


@router.patch("/{workspace_id:uuid}", response_model=WorkspaceOut)
@api_limit
async def update_workspace(
    request: Request, ws: PathWorkspace, body: WorkspaceUpdate
) -> WorkspaceOut:
    """Rename the workspace or set its time zone, an IANA name such as `Europe/Madrid`
    (owners). Business hours, the calendar and analytics follow the time zone."""
    return await service.update_workspace(ws, body)


@router.post("/{workspace_id:uuid}/members", response_model=MemberOut, status_code=201)
@api_limit
async def add_member(request: Request, ws: PathWorkspace, body: MemberInvite) -> MemberOut:
    return await service.add_member(ws, body)


@router.patch("/{workspace_id:uuid}/members/{user_id:uuid}", response_model=MemberOut)
@api_limit
async def change_role(
    request: Request, ws: PathWorkspace, user_id: UUID, body: MemberRoleUpdate
) -> MemberOut:
    return await service.change_role(ws, user_id=user_id, role=body.role)


@router.delete("/{workspace_id:uuid}/members/{user_id:uuid}", status_code=204)
@api_limit
async def remove_member(request: Request, ws: PathWorkspace, user_id: UUID) -> Response:
    await service.remove_member(ws, user_id=user_id)
    return Response(status_code=204)
