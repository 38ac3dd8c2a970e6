"""One event loop and one database pool per worker process.

Celery tasks are synchronous; our services are async. Each forked worker process lazily makes
its own loop and pool on first use (never inherited across fork) and reuses them for every task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from celery.signals import worker_process_init, worker_process_shutdown

from app.config import get_settings
from app.db.pool import create_pool
from app.db.session import Pool

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_pool: Pool | None = None


def _ensure() -> tuple[asyncio.AbstractEventLoop, Pool]:
    global _loop, _pool
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _pool = None
    if _pool is None:
        settings = get_settings()
        assert settings.database_url, "DATABASE_URL must be set for workers"
        _pool = create_pool(settings, settings.database_url)
        _loop.run_until_complete(_pool.open(wait=True, timeout=30))
    return _loop, _pool


def run(fn: Callable[[Pool], Awaitable[T]]) -> T:
    loop, pool = _ensure()
    return loop.run_until_complete(fn(pool))


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    global _loop, _pool
    _loop, _pool = None, None


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    if _loop is not None and _pool is not None and not _loop.is_closed():
        _loop.run_until_complete(_pool.close())
        _loop.close()
