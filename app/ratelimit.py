"""API rate limits (slowapi) on Redis, so every API process shares one budget.

Auth routes are limited per client IP (brute force); the rest of the API by a default limit
per client IP applied by the middleware. Webhooks are exempt: Meta's bursts must never be
refused, they are absorbed by the durable inbox instead."""

from __future__ import annotations

from slowapi import Limiter
from slowapi.util import get_remote_address

from app.config import get_settings

_settings = get_settings()

limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[_settings.rate_limit_default],
    storage_uri=_settings.redis_url or "memory://",
    in_memory_fallback_enabled=True,
    key_prefix="ratelimit",
)
auth_limit = _settings.rate_limit_auth
