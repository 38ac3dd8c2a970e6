"""Who is signed in to the console: the same access and refresh tokens as the JSON API, kept in
HttpOnly, SameSite=Lax cookies (Secure in production) instead of an Authorization header. An
expired access token is renewed from the refresh token on the way; when that fails too the page
sends the person to the login page (a redirect, or `HX-Redirect` for an HTMX request).

CSRF: a random seed lives in its own HttpOnly cookie; the token is an HMAC of it with the server's
secret, rendered into the page (`hx-headers`, and a hidden field in plain forms) and checked on
every state-changing request. Another site can neither read the page nor compute the token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.schemas import TokenOut
from app.auth.tokens import Principal
from app.config import Settings
from app.errors import AppError, Forbidden, Unauthorized

ACCESS_COOKIE = "ss_access"
REFRESH_COOKIE = "ss_refresh"
CSRF_COOKIE = "ss_csrf"
WORKSPACE_COOKIE = "ss_workspace"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_PENDING = "console_cookies"


class LoginRequired(Exception):
    """No valid session: the page answers with the way to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str | None) -> str:
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return "/login"
    return f"/login?next={quote(next_path, safe='/')}"


def _cookie(
    name: str, value: str, *, max_age: int | None, settings: Settings, path: str = "/"
) -> str:
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if settings.is_production:
        parts.append("Secure")
    return "; ".join(parts)


def queue_cookie(
    request: Request, name: str, value: str, *, max_age: int | None, path: str = "/"
) -> None:
    """Set on whatever response this request ends with (ConsoleCookies writes them)."""
    pending: list[str] = request.scope.setdefault("state", {}).setdefault(_PENDING, [])
    settings = request.app.state.settings
    pending.append(_cookie(name, value, max_age=max_age, settings=settings, path=path))


def remember(request: Request, tokens: TokenOut) -> None:
    settings: Settings = request.app.state.settings
    queue_cookie(request, ACCESS_COOKIE, tokens.access_token, max_age=tokens.expires_in)
    queue_cookie(
        request, REFRESH_COOKIE, tokens.refresh_token, max_age=settings.refresh_token_ttl_s
    )


def forget(request: Request) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE, WORKSPACE_COOKIE):
        queue_cookie(request, name, "", max_age=0)


async def signed_in(request: Request) -> Principal:
    """The person behind the cookies, renewing the access token when it ran out."""
    verifier = request.app.state.verifier
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            return verifier.verify(access)
        except Unauthorized:
            pass
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        try:
            tokens = await request.app.state.auth_backend.refresh(refresh)
        except AppError:
            forget(request)
        else:
            remember(request, tokens)
            return verifier.verify(tokens.access_token)
    path = request.url.path
    if request.headers.get("HX-Request") == "true":
        # the page the fragment belongs to, not the fragment's own address
        path = path_of(request.headers.get("HX-Current-URL", "")) or path
    raise LoginRequired(path)


def path_of(url: str) -> str:
    """`/inbox/1?view=mine` of `http://host/inbox/1?view=mine`; "" for anything else."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else ""


def _seed(request: Request) -> str:
    seed = request.cookies.get(CSRF_COOKIE) or request.scope.get("state", {}).get("csrf_seed")
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.scope.setdefault("state", {})["csrf_seed"] = seed
        queue_cookie(request, CSRF_COOKIE, seed, max_age=None)
    return seed


def csrf_token(request: Request) -> str:
    secret = request.app.state.settings.jwt_secret.get_secret_value().encode()
    return hmac.new(secret, b"console-csrf:" + _seed(request).encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None = None) -> None:
    """Every state-changing console request: the header HTMX sends, or a plain form's field."""
    given = submitted or request.headers.get(CSRF_HEADER) or ""
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not hmac.compare_digest(given, csrf_token(request)):
        raise Forbidden(
            "this page is out of date: reload it and try again", error_code="csrf_failed"
        )


class ConsoleCookies:
    """Writes the cookies a console request queued (a renewed session, a new CSRF seed) onto
    its response, whichever handler or error page produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                state: dict[str, Any] = scope.get("state", {})
                for cookie in state.get(_PENDING, ()):
                    message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookies)
