"""Signatures on outgoing webhooks, as Stripe signs its own: `SocialSync-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's secret>`. A receiver
recomputes it over the raw body and refuses an old timestamp (replays)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "SocialSync-Signature"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300) -> bool:
    """What a receiver does (and what our tests do as one)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - at) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp=at).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
