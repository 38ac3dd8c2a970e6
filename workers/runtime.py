"""One event loop, one database pool and one Redis client per worker process.

Celery tasks are synchronous; our services are async. Each forked worker process lazily makes
its own loop and clients on first use (never inherited across fork) and reuses them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import redis.asyncio as aioredis
from celery.signals import worker_process_init, worker_process_shutdown

from app.agent.moderation import create_moderator
from app.config import get_settings
from app.db.pool import create_pool
from app.db.session import Pool
from app.kb.embeddings import get_embedder
from app.replies.service import AgentKit

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    pool: Pool
    redis: aioredis.Redis
    http: httpx.AsyncClient
    kit: AgentKit


_loop: asyncio.AbstractEventLoop | None = None
_resources: Resources | None = None


def _ensure() -> tuple[asyncio.AbstractEventLoop, Resources]:
    global _loop, _resources
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _resources = None
    if _resources is None:
        settings = get_settings()
        assert settings.database_url and settings.redis_url, (
            "DATABASE_URL and REDIS_URL must be set for workers"
        )
        kit = AgentKit(settings, get_embedder(settings), create_moderator(settings))
        pool = create_pool(settings, settings.database_url)
        _loop.run_until_complete(pool.open(wait=True, timeout=30))
        _resources = Resources(
            pool,
            aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2),
            httpx.AsyncClient(timeout=settings.graph_timeout_s),
            kit,
        )
    return _loop, _resources


def run(fn: Callable[[Resources], Awaitable[T]]) -> T:
    loop, resources = _ensure()
    return loop.run_until_complete(fn(resources))


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    global _loop, _resources
    _loop, _resources = None, None


def close() -> None:
    """Release this process's loop and clients (the embedded test worker calls it)."""
    global _loop, _resources
    _close()
    _loop, _resources = None, None


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    if _loop is not None and _resources is not None and not _loop.is_closed():
        _loop.run_until_complete(_resources.pool.close())
        _loop.run_until_complete(_resources.redis.aclose())
        _loop.run_until_complete(_resources.http.aclose())
        _loop.close()
