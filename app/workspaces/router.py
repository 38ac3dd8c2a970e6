from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from app.deps import CurrentUserSession, PathWorkspace
from app.workspaces import service
from app.workspaces.schemas import (
    MemberInvite,
    MemberOut,
    MemberRoleUpdate,
    WorkspaceCreate,
    WorkspaceDetail,
    WorkspaceOut,
)

router = APIRouter(prefix="/api/workspaces", tags=["workspaces"])


@router.post("", response_model=WorkspaceOut, status_code=201)
async def create_workspace(body: WorkspaceCreate, user: CurrentUserSession) -> WorkspaceOut:
    return await service.create_workspace(user, name=body.name)


@router.get("", response_model=list[WorkspaceOut])
async def list_workspaces(user: CurrentUserSession) -> list[WorkspaceOut]:
    return await service.list_workspaces(user)


@router.get("/{workspace_id}", response_model=WorkspaceDetail)
async def get_workspace(ws: PathWorkspace) -> WorkspaceDetail:
    return await service.get_workspace(ws)


@router.post("/{workspace_id}/members", response_model=MemberOut, status_code=201)
async def add_member(ws: PathWorkspace, body: MemberInvite) -> MemberOut:
    return await service.add_member(ws, body)


@router.patch("/{workspace_id}/members/{user_id}", response_model=MemberOut)
async def change_role(ws: PathWorkspace, user_id: UUID, body: MemberRoleUpdate) -> MemberOut:
    return await service.change_role(ws, user_id=user_id, role=body.role)


@router.delete("/{workspace_id}/members/{user_id}", status_code=204)
async def remove_member(ws: PathWorkspace, user_id: UUID) -> Response:
    await service.remove_member(ws, user_id=user_id)
    return Response(status_code=204)
