"""Signing in and out of the console, creating the first workspace and switching between them.
The same accounts as the JSON API (local or Supabase Auth) through the same auth backend."""

from __future__ import annotations

import contextlib
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.auth.schemas import Credentials, PasswordResetRequest
from app.console import session
from app.console.context import Page, SignedIn
from app.console.render import field_errors, go, render
from app.errors import AppError
from app.ratelimit import auth_limit, limiter
from app.workspaces import service as workspaces
from app.workspaces.schemas import ZONES, WorkspaceCreate

router = APIRouter(include_in_schema=False)

SECTIONS = ("inbox", "escalations", "comments", "calendar", "kb", "settings", "analytics")

Text = Annotated[str, Form(max_length=4096)]


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/inbox"


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    request.state.console_base = {"csrf": session.csrf_token(request)}
    notice = "Your session ended: sign in again." if next else None
    return render(request, "login.html", {"next": next, "errors": {}, "notice": notice})


async def _sign_in(
    request: Request, *, signup: bool, email: str, password: str, next_path: str, csrf: str
) -> Response:
    request.state.console_base = {"csrf": session.csrf_token(request)}
    context = {"signup": signup, "email": email, "next": next_path, "errors": {}}
    try:
        session.check_csrf(request, csrf)
        credentials = Credentials(email=email, password=password)
        backend = request.app.state.auth_backend
        if signup:
            tokens = await backend.register(credentials.email, credentials.password)
        else:
            tokens = await backend.login(credentials.email, credentials.password)
    except ValidationError as exc:
        return render(request, "login.html", {**context, "errors": field_errors(exc)}, status=422)
    except AppError as exc:
        field = "password" if exc.error_code == "weak_password" else None
        errors = {field: exc.message} if field else {}
        error = None if field else exc.message
        return render(
            request,
            "login.html",
            {**context, "errors": errors, "error": error},
            status=exc.status_code,
        )
    session.remember(request, tokens)
    return RedirectResponse(_safe_next(next_path), status_code=303)


@router.post("/login")
@limiter.limit(auth_limit)
async def login(
    request: Request,
    email: Text = "",
    password: Text = "",
    next: Text = "",
    csrf_token: Text = "",
) -> Response:
    return await _sign_in(
        request, signup=False, email=email, password=password, next_path=next, csrf=csrf_token
    )


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> HTMLResponse:
    request.state.console_base = {"csrf": session.csrf_token(request)}
    return render(request, "login.html", {"signup": True, "errors": {}})


@router.post("/signup")
@limiter.limit(auth_limit)
async def signup(
    request: Request, email: Text = "", password: Text = "", csrf_token: Text = ""
) -> Response:
    return await _sign_in(
        request, signup=True, email=email, password=password, next_path="", csrf=csrf_token
    )


@router.post("/logout")
async def logout(request: Request, csrf_token: Text = "") -> Response:
    session.check_csrf(request, csrf_token)
    refresh = request.cookies.get(session.REFRESH_COOKIE)
    if refresh:
        # a session already over: signing out is still what they asked for
        with contextlib.suppress(AppError):
            await request.app.state.auth_backend.logout(refresh)
    session.forget(request)
    return go(request, "/login")


@router.post("/workspace")
async def switch_workspace(
    request: Request, console: Page, workspace_id: Text = "", csrf_token: Text = ""
) -> Response:
    session.check_csrf(request, csrf_token)
    try:
        chosen = UUID(workspace_id)
    except ValueError:
        chosen = console.workspace.id
    if any(w.id == chosen for w in console.workspaces):
        session.queue_cookie(request, session.WORKSPACE_COOKIE, str(chosen), max_age=None)
    # the same section of the console, not the same item: a conversation or post of the
    # other workspace is not in this one
    section = session.path_of(request.headers.get("referer", "")).split("?")[0].split("/")
    return go(
        request, f"/{section[1]}" if len(section) > 1 and section[1] in SECTIONS else "/inbox"
    )


@router.post("/workspaces")
async def create_workspace(
    request: Request, user: SignedIn, name: Text = "", timezone: Text = "", csrf_token: Text = ""
) -> Response:
    session.check_csrf(request, csrf_token)
    try:
        body = WorkspaceCreate(name=name, timezone=timezone or None)
    except ValidationError as exc:
        return render(
            request,
            "welcome.html",
            {"errors": field_errors(exc), "name": name, "timezone": timezone, "zones": ZONES},
            status=422,
        )
    created = await workspaces.create_workspace(user, name=body.name, timezone=body.timezone)
    session.queue_cookie(request, session.WORKSPACE_COOKIE, str(created.id), max_age=None)
    return go(request, "/settings")


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_password_page(request: Request) -> HTMLResponse:
    request.state.console_base = {"csrf": session.csrf_token(request)}
    return render(request, "forgot_password.html", {"errors": {}})


@router.post("/forgot-password", response_class=HTMLResponse)
@limiter.limit(auth_limit)
async def forgot_password(request: Request, email: Text = "", csrf_token: Text = "") -> Response:
    request.state.console_base = {"csrf": session.csrf_token(request)}
    session.check_csrf(request, csrf_token)
    try:
        address = PasswordResetRequest(email=email).email
    except ValidationError as exc:
        return render(
            request,
            "forgot_password.html",
            {"errors": field_errors(exc), "email": email},
            status=422,
        )
    await request.app.state.auth_backend.request_password_reset(address)
    return render(request, "forgot_password.html", {"errors": {}, "sent": True})
