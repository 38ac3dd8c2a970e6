"""An event loop, a database pool, a Redis client, an HTTP client and the agent's models for each
worker thread (or forked process).

Celery tasks are synchronous; our services are async. Each execution thread lazily makes its own
loop and clients on first use (never shared across threads, never inherited across fork) and
reuses them for every task, so the prefork, solo and threads pools all work."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import psycopg
import redis.asyncio as aioredis
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)

from app.agent.moderation import create_moderator
from app.agent.service import ChatModels, preload_chat_client
from app.config import get_settings
from app.db.login_role import check_login_role_at
from app.db.pool import create_pool
from app.db.session import Pool
from app.kb.embeddings import Embedders, preload
from app.redis_client import create_redis
from app.replies.service import AgentKit

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    pool: Pool
    redis: aioredis.Redis
    http: httpx.AsyncClient
    kit: AgentKit


class InlineExecutor(Executor):
    """Runs what libraries hand to `run_in_executor(None, ...)` right away, on the calling thread.

    A worker thread's loop runs one task at a time, so moving a short CPU step (LangChain turns
    every chat response into a result this way) to another thread buys no concurrency and costs
    two thread switches and a GIL handover."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it exists (as uvicorn uses for the API): the worker is CPU-bound, and the
    event loop's own overhead is a good part of each task."""
    try:
        import uvloop
    except ImportError:
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    loop.set_default_executor(InlineExecutor())
    return loop


_local = threading.local()
# every thread's loop and clients, so shutdown can release them all (the threads pool's threads
# never run shutdown code of their own)
_registry: list[tuple[asyncio.AbstractEventLoop, Resources]] = []
_registry_lock = threading.Lock()


def _ensure() -> tuple[asyncio.AbstractEventLoop, Resources]:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = new_event_loop()
        _local.loop, _local.resources = loop, None
    resources: Resources | None = getattr(_local, "resources", None)
    if resources is None:
        settings = get_settings()
        assert settings.database_url and settings.redis_url, (
            "DATABASE_URL and REDIS_URL must be set for workers"
        )
        kit = AgentKit(
            settings,
            Embedders(settings),
            create_moderator(settings),
            ChatModels(settings, httpx.AsyncClient(timeout=settings.chat_timeout_s)),
        )
        pool = create_pool(
            settings.model_copy(update={"db_pool_max_size": settings.worker_db_pool_max_size}),
            settings.database_url,
        )
        loop.run_until_complete(pool.open(wait=True, timeout=30))
        resources = Resources(
            pool,
            create_redis(settings.redis_url, socket_timeout=5),
            httpx.AsyncClient(timeout=settings.graph_timeout_s),
            kit,
        )
        _local.resources = resources
        with _registry_lock:
            _registry.append((loop, resources))
    return loop, resources


def run(fn: Callable[[Resources], Awaitable[T]], *, timeout: float | None = None) -> T:
    """Run one step of a task on this thread's loop, cancelled after the soft time limit (the
    threads pool cannot enforce Celery's limits; the caller's retry takes over)."""
    loop, resources = _ensure()
    limit = timeout if timeout is not None else get_settings().task_soft_time_limit_s
    return loop.run_until_complete(asyncio.wait_for(fn(resources), limit))


def _release(loop: asyncio.AbstractEventLoop, resources: Resources) -> None:
    if loop.is_closed() or loop.is_running():
        return
    loop.run_until_complete(resources.pool.close())
    loop.run_until_complete(resources.redis.aclose())
    loop.run_until_complete(resources.http.aclose())
    if resources.kit.chat_models is not None:
        loop.run_until_complete(resources.kit.chat_models.aclose())
    loop.close()


def close() -> None:
    """Release every thread's loop and clients (worker shutdown; the embedded test worker)."""
    with _registry_lock:
        entries = list(_registry)
        _registry.clear()
    for loop, resources in entries:
        _release(loop, resources)
    _local.loop, _local.resources = None, None


@worker_init.connect
def _preload(**_: Any) -> None:
    settings = get_settings()
    if settings.database_url:
        # a database not up yet is no reason to stop: tasks retry, and the API checks it too
        with contextlib.suppress(psycopg.OperationalError):
            check_login_role_at(settings.database_url, settings)
    # before prefork's fork, so the children share the weights and the imported modules
    preload(settings)
    preload_chat_client(settings)


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # the parent's loops and connections are not this process's to use or close
    _local.loop, _local.resources = None, None
    with _registry_lock:
        _registry.clear()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close(**_: Any) -> None:
    close()
