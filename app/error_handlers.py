"""One error shape everywhere: `{"detail": {"error_code", "message", "timestamp"}}`."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from app.errors import AppError, error_body
from app.logging import get_logger

log = get_logger("errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _json(status: int, error_code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(error_code, message, **extra))


def _retry_after_s(request: Request, exc: RateLimitExceeded) -> int:
    """Seconds until the caller's window resets (slowapi records which limit was hit)."""
    current = getattr(request.state, "view_rate_limit", None)
    limiter = getattr(request.app.state, "limiter", None)
    if current is not None and limiter is not None:
        try:
            reset_at, _ = limiter.limiter.get_window_stats(current[0], *current[1])
            return max(1, math.ceil(reset_at - time.time()))
        except Exception:
            log.warning("rate limit window unavailable")
    window = exc.limit.limit.get_expiry() if exc.limit is not None else 60
    return max(1, int(window))


def _route_table(routes: Any) -> Iterator[tuple[re.Pattern[str], set[str]]]:
    for route in routes:
        if isinstance(route, Route) and route.methods:
            yield route.path_regex, route.methods
        # FastAPI keeps an included router as one entry that holds its prefixed routes
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            for candidate in candidates():
                if candidate.methods:
                    yield candidate.path_regex, candidate.methods


def _allowed_methods(request: Request) -> str:
    """Every method of every route at this path: Starlette's own `Allow` names only the first
    route that matched, though GET and PATCH of one path are separate routes."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for regex, route_methods in _route_table(request.app.router.routes):
        if regex.match(path):
            methods |= route_methods
    return ", ".join(sorted(methods))


def app_error_response(exc: AppError) -> JSONResponse:
    """The API's answer to a domain error (also the console's to an HTMX request)."""
    return _json(exc.status_code, exc.error_code, exc.message, **exc.extra)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return _json(400, "malformed_json", "the request body is not valid JSON", errors=errors)
        return _json(422, "validation_error", "the request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        response = _json(exc.status_code, code, message)
        # e.g. `WWW-Authenticate` on a 401
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = _allowed_methods(request)
        return response

    @app.exception_handler(RateLimitExceeded)
    async def rate_limited(request: Request, exc: RateLimitExceeded) -> JSONResponse:
        wait = _retry_after_s(request, exc)
        response = _json(
            429,
            "rate_limited",
            f"too many requests ({exc.detail}); try again in {wait} s",
            retry_after_s=wait,
        )
        response.headers["Retry-After"] = str(wait)
        return response

    @app.exception_handler(psycopg.errors.InsufficientPrivilege)
    async def rls_denied(_: Request, exc: psycopg.errors.InsufficientPrivilege) -> JSONResponse:
        # Row Level Security refused a write: the caller's role does not allow it
        return _json(403, "forbidden", "your role in this workspace does not allow this")

    @app.exception_handler(psycopg.OperationalError)
    async def db_down(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.error("database unavailable", error=str(exc))
        return _json(503, "database_unavailable", "the database is unavailable, try again shortly")

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(_: Request, exc: PoolTimeout) -> JSONResponse:
        log.error("database pool exhausted", error=str(exc))
        return _json(503, "database_unavailable", "the database is busy, try again shortly")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _json(500, "internal_error", "something went wrong on our side")
