"""What every console page starts from: the signed-in person, the workspace they are working in
(the switcher's choice, else their default), their other workspaces, and the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from app.auth.tokens import Principal
from app.console import session
from app.console.render import is_htmx
from app.errors import NotFound
from app.live import events
from app.workspaces import service as workspaces
from app.workspaces.context import UserSession, WorkspaceContext, resolve_workspace
from app.workspaces.schemas import WorkspaceOut


class NoWorkspace(Exception):
    """A signed-in person with no workspace yet: the page offers to create one."""


@dataclass(frozen=True)
class Console:
    user: Principal
    user_session: UserSession
    ws: WorkspaceContext
    workspace: WorkspaceOut
    workspaces: list[WorkspaceOut]
    csrf: str


async def _user_session(request: Request) -> UserSession:
    principal = await session.signed_in(request)
    request.state.user_id = str(principal.user_id)
    return UserSession(
        pool=request.app.state.pool,
        principal=principal,
        memberships=request.app.state.memberships,
    )


async def _console(request: Request) -> Console:
    user = await _user_session(request)
    listed = await workspaces.list_workspaces(user, limit=100, cursor=None)
    chosen: UUID | None = None
    try:
        chosen = UUID(request.cookies.get(session.WORKSPACE_COOKIE, ""))
    except ValueError:
        chosen = None
    try:
        ws = await resolve_workspace(user, chosen)
    except NotFound:
        if chosen is None:
            raise NoWorkspace() from None
        ws = await resolve_workspace(user, None)  # left that workspace: back to the default
    request.state.workspace_id = str(ws.workspace_id)
    # where the page's live updates start: taken before the page reads anything, so whatever
    # happens after this moment reaches the page, even before its stream has connected
    # (a fragment has no stream of its own: no read for it)
    live_after = (
        None
        if is_htmx(request)
        else await events.position(request.app.state.live_redis, ws.workspace_id)
    )
    current = next((w for w in listed.items if w.id == ws.workspace_id), None)
    if current is None:  # beyond the switcher's first hundred
        current = (await workspaces.get_workspace(ws)).as_workspace()
    console = Console(
        user=user.principal,
        user_session=user,
        ws=ws,
        workspace=current,
        workspaces=listed.items,
        csrf=session.csrf_token(request),
    )
    request.state.console_base = {
        "console": console,
        "csrf": console.csrf,
        "live_after": live_after,
    }
    return console


async def _console_for_change(request: Request) -> Console:
    console = await _console(request)
    submitted = request.headers.get(session.CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(session.CSRF_FIELD)  # a plain form, without HTMX
        submitted = field if isinstance(field, str) else None
    session.check_csrf(request, submitted)
    return console


async def _signed_in_user(request: Request) -> UserSession:
    user = await _user_session(request)
    request.state.console_base = {"csrf": session.csrf_token(request)}
    return user


Page = Annotated[Console, Depends(_console)]
"""A page or fragment to show (GET)."""
Change = Annotated[Console, Depends(_console_for_change)]
"""A state-changing request (POST, PUT, PATCH, DELETE): CSRF checked."""
SignedIn = Annotated[UserSession, Depends(_signed_in_user)]
"""Signed in, with or without a workspace (creating the first one)."""
