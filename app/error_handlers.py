"""One error shape everywhere: `{"detail": {"error_code", "message", "timestamp"}}`."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        return _json(exc.status_code, exc.error_code, exc.message, **exc.extra)

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
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _json(exc.status_code, code, message)

    @app.exception_handler(RateLimitExceeded)
    async def rate_limited(_: Request, exc: RateLimitExceeded) -> JSONResponse:
        return _json(429, "rate_limited", f"too many requests: {exc.detail}")

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
