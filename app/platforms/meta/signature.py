"""X-Hub-Signature-256: HMAC-SHA256 of the raw request body, keyed with the app secret.

Meta signs the bytes it sends (with unicode escaped), so the HMAC must run over the raw body
before any JSON parsing; re-serialising breaks on emoji and accents (META.md, pitfall 2)."""

from __future__ import annotations

import hashlib
import hmac

from app.errors import AppError

PREFIX = "sha256="


class MissingSignature(AppError):
    status_code = 401
    error_code = "signature_missing"


class InvalidSignature(AppError):
    status_code = 403
    error_code = "signature_invalid"


def sign(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> None:
    if not header:
        raise MissingSignature("X-Hub-Signature-256 header is missing")
    if not header.startswith(PREFIX):
        raise InvalidSignature("X-Hub-Signature-256 must start with sha256=")
    if not hmac.compare_digest(sign(body, secret).encode(), header.strip().lower().encode()):
        raise InvalidSignature("X-Hub-Signature-256 does not match the body")
