"""Meta's `signed_request` (deauthorize and data-deletion callbacks): `<sig>.<payload>`, both
base64url without padding; sig = HMAC-SHA256 of the payload part as sent, keyed with the app
secret; the payload is JSON with `algorithm: HMAC-SHA256`, `issued_at` and `user_id`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from app.errors import AppError


class SignedRequestMalformed(AppError):
    status_code = 400
    error_code = "signed_request_malformed"


class SignedRequestInvalid(AppError):
    status_code = 403
    error_code = "signed_request_invalid"


def _decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignedRequestMalformed("signed_request is not base64url") from exc


def encode(payload: dict[str, Any], secret: str) -> str:
    """What Meta sends (the sandbox and tests sign with it)."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(sig).rstrip(b"=").decode() + "." + body


def verify(signed_request: str, secret: str) -> dict[str, Any]:
    """The payload, once the signature and algorithm check out."""
    sig_part, dot, payload_part = signed_request.partition(".")
    if not dot or not sig_part or not payload_part:
        raise SignedRequestMalformed("signed_request must be <signature>.<payload>")
    expected = hmac.new(secret.encode(), payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_decode(sig_part), expected):
        raise SignedRequestInvalid("signed_request's signature does not match")
    try:
        payload = json.loads(_decode(payload_part))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignedRequestMalformed("signed_request's payload is not JSON") from exc
    if not isinstance(payload, dict) or str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise SignedRequestMalformed("signed_request must use HMAC-SHA256")
    user_id = payload.get("user_id")
    if not isinstance(user_id, str | int) or not str(user_id).strip():
        raise SignedRequestMalformed("signed_request names no user_id")
    return payload
