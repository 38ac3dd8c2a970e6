"""An event loop, a database pool, a Redis client, an HTTP client and the agent's models for each
worker thread (or forked process).

Celery tasks are synchronous; our services are async. Each execution thread lazily makes its own
loop and clients on first use (never shared across threads, never inherited across fork) and
reuses them for every task, so the prefork, solo and threads pools all work."""

from __future__ import annotations

import asyncio
import threading
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
from app.redis_client import create_redis
from app.replies.service import AgentKit

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    pool: Pool
    redis: aioredis.Redis
    http: httpx.AsyncClient
    kit: AgentKit


_local = threading.local()


def _ensure() -> tuple[asyncio.AbstractEventLoop, Resources]:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop, _local.resources = loop, None
    resources: Resources | None = getattr(_local, "resources", None)
    if resources is None:
        settings = get_settings()
        assert settings.database_url and settings.redis_url, (
            "DATABASE_URL and REDIS_URL must be set for workers"
        )
        kit = AgentKit(settings, get_embedder(settings), create_moderator(settings))
        pool = create_pool(settings, settings.database_url)
        loop.run_until_complete(pool.open(wait=True, timeout=30))
        resources = Resources(
            pool,
            create_redis(settings.redis_url, socket_timeout=5),
            httpx.AsyncClient(timeout=settings.graph_timeout_s),
            kit,
        )
        _local.resources = resources
    return loop, resources


def run(fn: Callable[[Resources], Awaitable[T]]) -> T:
    loop, resources = _ensure()
    return loop.run_until_complete(fn(resources))


def close() -> None:
    """Release this thread's loop and clients (the embedded test worker calls it)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    resources: Resources | None = getattr(_local, "resources", None)
    if loop is not None and resources is not None and not loop.is_closed():
        loop.run_until_complete(resources.pool.close())
        loop.run_until_complete(resources.redis.aclose())
        loop.run_until_complete(resources.http.aclose())
        loop.close()
    _local.loop, _local.resources = None, None


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    _local.loop, _local.resources = None, None


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    close()
