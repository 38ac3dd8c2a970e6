from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app.auth.schemas import (
    Credentials,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    TokenOut,
    UserOut,
)
from app.auth.service import AuthBackend
from app.deps import CurrentUser
from app.errors import AppError
from app.pages import page
from app.ratelimit import api_limit, auth_limit, limiter

router = APIRouter(prefix="/api/auth", tags=["auth"])
pages = APIRouter(tags=["auth"])


def _backend(request: Request) -> AuthBackend:
    return request.app.state.auth_backend


@router.post("/register", response_model=TokenOut, status_code=201)
@limiter.limit(auth_limit)
async def register(request: Request, body: Credentials) -> TokenOut:
    """The password must have PASSWORD_MIN_LENGTH characters and not be a commonly used one
    (400 `weak_password`)."""
    return await _backend(request).register(body.email, body.password)


@router.post("/login", response_model=TokenOut)
@limiter.limit(auth_limit)
async def login(request: Request, body: Credentials) -> TokenOut:
    return await _backend(request).login(body.email, body.password)


@router.post("/refresh", response_model=TokenOut)
@limiter.limit(auth_limit)
async def refresh(request: Request, body: RefreshRequest) -> TokenOut:
    """401 `token_revoked` once the session was signed out or the password reset."""
    return await _backend(request).refresh(body.refresh_token)


@router.post("/logout", status_code=204)
@limiter.limit(auth_limit)
async def logout(request: Request, body: RefreshRequest) -> Response:
    """Ends the session: this refresh token no longer works. Access tokens already issued run
    out on their own (ACCESS_TOKEN_TTL_S)."""
    await _backend(request).logout(body.refresh_token)
    return Response(status_code=204)


class Accepted(BaseModel):
    message: str


@router.post("/password-reset", response_model=Accepted, status_code=202)
@limiter.limit(auth_limit)
async def request_password_reset(request: Request, body: PasswordResetRequest) -> Accepted:
    """Emails a single-use link to reset the password (PASSWORD_RESET_TTL_S). The answer is the
    same for an address without an account. Without SMTP the link is written to the API's log."""
    await _backend(request).request_password_reset(body.email)
    return Accepted(message="if this address has an account, a reset link is on its way")


@router.post("/password-reset/confirm", response_model=TokenOut)
@limiter.limit(auth_limit)
async def confirm_password_reset(request: Request, body: PasswordResetConfirm) -> TokenOut:
    """Sets the new password (the same rules as registering) and signs in; every earlier
    session is signed out. 401 `reset_token_invalid` for a used, expired or forged link."""
    return await _backend(request).reset_password(body.token, body.password)


@router.get("/me", response_model=UserOut)
@api_limit
async def me(request: Request, user: CurrentUser) -> UserOut:
    return UserOut(id=user.user_id, email=user.email)


def _reset_form(token: str) -> str:
    return (
        '<form method=post action="/reset-password">'
        f'<input type=hidden name=token value="{html.escape(token, quote=True)}">'
        "<label>New password<br><input type=password name=password minlength=8 required "
        'autocomplete=new-password style="width:100%;padding:.5rem"></label>'
        '<p><button type=submit style="padding:.5rem 1rem">Set password</button></p></form>'
    )


@pages.get("/reset-password", response_class=HTMLResponse, include_in_schema=False)
async def reset_password_page(token: Annotated[str, Query(max_length=4096)] = "") -> HTMLResponse:
    if not token:
        return page("Reset your password", ["This link has no reset code: ask for a new one."], 400)
    return page("Reset your password", ["Choose a new password."], form=_reset_form(token))


@pages.post("/reset-password", response_class=HTMLResponse, include_in_schema=False)
@limiter.limit(auth_limit)
async def reset_password_submit(
    request: Request,
    token: Annotated[str, Form(max_length=4096)],
    password: Annotated[str, Form(max_length=256)],
) -> HTMLResponse:
    try:
        await _backend(request).reset_password(token, password)
    except AppError as exc:
        retry = exc.error_code == "weak_password"
        return page(
            "Password not changed",
            [exc.message],
            exc.status_code,
            form=_reset_form(token) if retry else "",
        )
    return page("Password changed", ["Sign in to SocialSync with your new password."])
