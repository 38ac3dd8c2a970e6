"""One event loop per worker process, in a thread of its own, with one database pool, Redis
client, HTTP client and the agent's models, shared by every task of the process.

Celery tasks are synchronous; our services are async. A task's thread hands each step to the
process's loop and waits for it (`run`). Replies are I/O-bound (a model answers in seconds), so
a worker runs many tasks at once (WORKER_CONCURRENCY threads, mostly waiting) while the loop
multiplexes them over a few database connections (WORKER_DB_POOL_MAX_SIZE): no connection is
held while a model thinks (replies/service.py), so a handful serves dozens of waiting replies.
The loop is made lazily in each process (never inherited across fork), so the prefork, solo and
threads pools all work."""

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
from app.agent.service import ChatModels, preload_agent
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

    The steps handed over are short CPU work (LangChain turns every chat response into a result
    this way): another thread would buy no concurrency under the GIL and cost two thread
    switches and a GIL handover."""

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


@dataclass
class _Runtime:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    resources: Resources


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


async def _make_resources() -> Resources:
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
        settings.model_copy(
            update={
                "db_pool_max_size": settings.worker_db_pool_max_size,
                "db_pool_min_size": min(
                    settings.db_pool_min_size, settings.worker_db_pool_max_size
                ),
            }
        ),
        settings.database_url,
    )
    await pool.open(wait=True, timeout=30)
    return Resources(
        pool,
        create_redis(settings.redis_url, socket_timeout=5),
        httpx.AsyncClient(timeout=settings.graph_timeout_s),
        kit,
    )


def _ensure() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is not None and _runtime.thread.is_alive():
            return _runtime
        loop = new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="worker-loop", daemon=True)
        thread.start()
        resources = asyncio.run_coroutine_threadsafe(_make_resources(), loop).result(timeout=60)
        _runtime = _Runtime(loop, thread, resources)
        return _runtime


def run(fn: Callable[[Resources], Awaitable[T]], *, timeout: float | None = None) -> T:
    """Run one step of a task on the process's loop and wait for it, cancelled after the soft
    time limit (the threads pool cannot enforce Celery's limits; the caller's retry takes
    over)."""
    runtime = _ensure()
    limit = timeout if timeout is not None else get_settings().task_soft_time_limit_s

    async def step() -> T:
        return await asyncio.wait_for(fn(runtime.resources), limit)

    return asyncio.run_coroutine_threadsafe(step(), runtime.loop).result()


async def _release(resources: Resources) -> None:
    await resources.pool.close()
    await resources.redis.aclose()
    await resources.http.aclose()
    await resources.kit.chat_models.aclose()


def close() -> None:
    """Release the loop and its clients (worker shutdown; the embedded test worker)."""
    global _runtime
    with _runtime_lock:
        runtime, _runtime = _runtime, None
    if runtime is None or not runtime.thread.is_alive():
        return
    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(_release(runtime.resources), runtime.loop).result(30)
    runtime.loop.call_soon_threadsafe(runtime.loop.stop)
    runtime.thread.join(timeout=10)
    if not runtime.loop.is_running():
        runtime.loop.close()


@worker_init.connect
def _preload(**_: Any) -> None:
    settings = get_settings()
    if settings.database_url:
        # a database not up yet is no reason to stop: tasks retry, and the API checks it too
        with contextlib.suppress(psycopg.OperationalError):
            check_login_role_at(settings.database_url, settings)
    # before prefork's fork, so the children share the weights and the imported modules
    preload(settings)
    preload_agent(settings)


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # the parent's loop thread did not survive the fork, and its connections are not this
    # process's to use or close
    global _runtime
    _runtime = None


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close(**_: Any) -> None:
    close()
