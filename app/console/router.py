"""Wires the console into the API process: its pages, its live stream, its assets and how it
answers a missing session, a person with no workspace yet, or an error (a page for a browser;
for HTMX the API's JSON error, which the page shows as a message)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from app.console import session
from app.console.context import NoWorkspace
from app.console.live import router as live_router
from app.console.pages import (
    analytics,
    auth,
    calendar,
    comments,
    escalations,
    inbox,
    integrations,
    knowledge,
    settings,
)
from app.console.render import is_htmx, render
from app.console.session import ConsoleCookies, LoginRequired
from app.error_handlers import app_error_response
from app.errors import AppError
from app.workspaces.schemas import ZONES

ASSETS = Path(__file__).resolve().parent.parent / "static"
ASSETS_PATH = "/console-assets"
API_PREFIXES = ("/api/", "/webhooks/", "/_", "/docs", "/openapi", "/media/", "/health", "/ready")


def is_console_path(path: str) -> bool:
    return not path.startswith(API_PREFIXES)


def install_console(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="console-assets")
    for module in (
        auth,
        inbox,
        escalations,
        comments,
        calendar,
        knowledge,
        settings,
        integrations,
        analytics,
    ):
        app.include_router(module.router)
    app.include_router(live_router)
    app.add_middleware(ConsoleCookies)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = session.login_url(exc.next_path)
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(AppError)
    async def console_error(request: Request, exc: AppError) -> Response:
        """A browser on a console page gets a page that says what to do; everyone else (the
        API, and HTMX, which shows the message) the API's JSON error."""
        if not is_console_path(request.url.path) or is_htmx(request):
            return app_error_response(exc)
        request.state.console_base = {"csrf": session.csrf_token(request)}
        return render(
            request,
            "error.html",
            {"message": exc.message, "code": exc.error_code},
            status=exc.status_code,
        )

    @app.exception_handler(NoWorkspace)
    async def no_workspace(request: Request, exc: NoWorkspace) -> HTMLResponse:
        request.state.console_base = {"csrf": session.csrf_token(request)}
        return render(request, "welcome.html", {"errors": {}, "zones": ZONES})
