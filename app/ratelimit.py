"""API rate limits (slowapi) on Redis, so every API process shares one budget.

Auth routes are limited per client IP (brute force). The other API routes are limited per
workspace (or per user before a workspace is known): with slowapi's decorator, FastAPI's
dependencies run before the key function, so the verified workspace is on `request.state`.
Webhooks are not limited: Meta's bursts are absorbed by the durable inbox instead.

Limits are applied by decorators, not slowapi's middleware: the middleware looks the route up in
`app.routes`, which does not see routes of included routers in current FastAPI, and so silently
limited nothing (tests/test_rate_limits.py)."""

from __future__ import annotations

from slowapi import Limiter
from slowapi.util import get_remote_address
from starlette.requests import Request

from app.config import get_settings


def workspace_or_client_key(request: Request) -> str:
    workspace_id = getattr(request.state, "workspace_id", None)
    if workspace_id:
        return f"ws:{workspace_id}"
    user_id = getattr(request.state, "user_id", None)
    if user_id:
        return f"user:{user_id}"
    return f"ip:{get_remote_address(request)}"


def default_limit() -> str:
    """Read per request, so a changed RATE_LIMIT_DEFAULT applies without re-importing routes."""
    return get_settings().rate_limit_default


def auth_limit() -> str:
    return get_settings().rate_limit_auth


limiter = Limiter(
    key_func=get_remote_address,
    storage_uri=get_settings().redis_url or "memory://",
    in_memory_fallback_enabled=True,
    key_prefix="ratelimit",
)
api_limit = limiter.limit(default_limit, key_func=workspace_or_client_key)
