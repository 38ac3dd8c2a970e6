"""Domain errors. Services raise these; one handler turns them into the API's error shape:
`{"detail": {"error_code": ..., "message": ..., "timestamp": ...}}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class AppError(Exception):
    status_code = 400
    error_code = "bad_request"

    def __init__(self, message: str, *, error_code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if error_code:
            self.error_code = error_code
        self.extra = extra


class InvalidInput(AppError):
    status_code = 400
    error_code = "invalid_input"


class Unauthorized(AppError):
    status_code = 401
    error_code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    error_code = "forbidden"


class NotFound(AppError):
    status_code = 404
    error_code = "not_found"


class Conflict(AppError):
    status_code = 409
    error_code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    error_code = "payload_too_large"


class ServiceUnavailable(AppError):
    status_code = 503
    error_code = "service_unavailable"


def error_body(error_code: str, message: str, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "error_code": error_code,
        "message": message,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    detail.update(extra)
    return {"detail": detail}
