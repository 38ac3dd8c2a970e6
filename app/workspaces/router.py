from __future__ import annotations

import html
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from app.deps import CurrentUserSession, PathWorkspace
from app.errors import AppError
from app.pages import page
from app.pagination import CursorParam, Limit, Page
from app.ratelimit import api_limit, auth_limit, limiter
from app.workspaces import invites, service
from app.workspaces.context import UserSession, resolve_workspace
from app.workspaces.schemas import (
    InviteAccept,
    InviteOut,
    MemberInvite,
    MemberOut,
    MemberRoleUpdate,
    WorkspaceCreate,
    WorkspaceDetail,
    WorkspaceOut,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/api/workspaces", tags=["workspaces"])
invites_router = APIRouter(prefix="/api/invites", tags=["workspaces"])


@router.post("", response_model=WorkspaceOut, status_code=201)
@api_limit
async def create_workspace(
    request: Request, body: WorkspaceCreate, user: CurrentUserSession
) -> WorkspaceOut:
    return await service.create_workspace(user, name=body.name, timezone=body.timezone)


@router.get("", response_model=Page[WorkspaceOut])
@api_limit
async def list_workspaces(
    request: Request, user: CurrentUserSession, cursor: CursorParam = None, limit: Limit = 50
) -> Page[WorkspaceOut]:
    """The workspaces you belong to, oldest first, with your role in each."""
    return await service.list_workspaces(user, limit=limit, cursor=cursor)


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


@router.post(
    "/{workspace_id:uuid}/members",
    response_model=MemberOut,
    status_code=201,
    responses={202: {"model": InviteOut, "description": "No account yet: invited by email"}},
)
@api_limit
async def add_member(request: Request, ws: PathWorkspace, body: MemberInvite) -> Any:
    """Add someone (owners). A person with an account joins at once (201). An email without an
    account gets an invitation (202): emailed when SMTP is configured, else `invite_url` is the
    link to pass on. It can be accepted once, until INVITE_TTL_S, signed in with that email."""
    added = await service.add_member(
        ws, body, settings=request.app.state.settings, mailer=request.app.state.mailer
    )
    if isinstance(added, InviteOut):
        return JSONResponse(added.model_dump(mode="json"), status_code=202)
    return added


@router.get("/{workspace_id:uuid}/invites", response_model=Page[InviteOut])
@api_limit
async def list_invites(
    request: Request, ws: PathWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[InviteOut]:
    """Invitations of the workspace, newest first, with their status (owners)."""
    return await invites.list_invites(ws, limit=limit, cursor=cursor)


@router.delete("/{workspace_id:uuid}/invites/{invite_id:uuid}", response_model=InviteOut)
@api_limit
async def revoke_invite(request: Request, ws: PathWorkspace, invite_id: UUID) -> InviteOut:
    """Withdraw a pending invitation (owners): its link stops working."""
    return await invites.revoke(ws, invite_id)


@router.post("/{workspace_id:uuid}/default", response_model=WorkspaceOut)
@api_limit
async def make_default(request: Request, ws: PathWorkspace) -> WorkspaceOut:
    """Use this workspace for your requests that send no `X-Workspace-Id`."""
    return await service.make_default(ws)


@router.delete("/{workspace_id:uuid}", status_code=204)
@api_limit
async def delete_workspace(
    request: Request,
    ws: PathWorkspace,
    confirm_name: Annotated[
        str, Query(min_length=1, max_length=200, description="the workspace's exact name")
    ],
) -> Response:
    """Delete the workspace and everything in it, for good (owners; `confirm_name` must be its
    exact name). Its accounts are unsubscribed from Meta first."""
    await service.delete_workspace(
        ws,
        confirm_name=confirm_name,
        settings=request.app.state.settings,
        http=request.app.state.http,
    )
    return Response(status_code=204)


@invites_router.post("/accept", response_model=WorkspaceOut)
@api_limit
async def accept_invite(
    request: Request, body: InviteAccept, user: CurrentUserSession
) -> WorkspaceOut:
    """Join the workspace of an invitation (signed in with the invited email)."""
    workspace_id, _ = await invites.accept(user, body.token)
    ws = await resolve_workspace(user, workspace_id)
    return (await service.get_workspace(ws)).as_workspace()


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


pages = APIRouter(tags=["workspaces"])


def _join_form(token: str, email: str) -> str:
    field = 'style="width:100%;padding:.5rem"'
    return (
        '<form method=post action="/invite">'
        f'<input type=hidden name=token value="{html.escape(token, quote=True)}">'
        f'<label>Email<br><input name=email value="{html.escape(email, quote=True)}" readonly '
        f"{field}></label>"
        f"<p><label>Password<br><input type=password name=password minlength=8 required "
        f"{field}></label></p>"
        '<p><button name=action value=login type=submit style="padding:.5rem 1rem">'
        "Sign in and join</button> "
        '<button name=action value=register type=submit style="padding:.5rem 1rem">'
        "Create my account and join</button></p></form>"
    )


@pages.get("/invite", response_class=HTMLResponse, include_in_schema=False)
@api_limit
async def invite_page(
    request: Request, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    found = await invites.preview(request.app.state.pool, token) if token else None
    if found is None:
        return page("Invitation not found", [invites.REFUSALS["not_found"]], 404)
    status = invites.status_of(found)
    if status != "pending":
        outcome = {"accepted": "used", "revoked": "revoked", "expired": "expired"}[status]
        return page("Invitation not usable", [invites.REFUSALS[outcome]], 410)
    return page(
        f"Join {found['workspace_name']}",
        [
            f"You are invited to {found['workspace_name']} on SocialSync as {found['role']}.",
            "Sign in with your password, or create your account, to accept.",
        ],
        form=_join_form(token, found["email"]),
    )


@pages.post("/invite", response_class=HTMLResponse, include_in_schema=False)
@limiter.limit(auth_limit)
async def invite_join(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    action: Annotated[Literal["login", "register"], Form()] = "login",
) -> HTMLResponse:
    state = request.app.state
    try:
        if action == "register":
            tokens = await state.auth_backend.register(email, password)
        else:
            tokens = await state.auth_backend.login(email, password)
        principal = state.verifier.verify(tokens.access_token)
        _, role = await invites.accept(
            UserSession(pool=state.pool, principal=principal, memberships=state.memberships), token
        )
    except AppError as exc:
        return page("Not joined yet", [exc.message], exc.status_code, form=_join_form(token, email))
    joined = await invites.preview(state.pool, token)
    name = joined["workspace_name"] if joined else "the workspace"
    return page("You joined", [f"You are now a {role} of {name}. Sign in to SocialSync to start."])
