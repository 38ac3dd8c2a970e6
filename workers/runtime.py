"""One event loop per worker process, in a thread of its own, with one database pool, Redis
client, HTTP client and the agent's models, shared by every task of the process.

Celery tasks are synchronous; our services are async. A task's thread hands each step to the
process's loop and waits for it (`run`). Replies are I/O-bound (a model answers in seconds), so
a worker runs many tasks at once (WORKER_CONCURRENCY threads, mostly waiting) while the loop
multiplexes them over a few database connections (WORKER_DB_POOL_MAX_SIZE): no connection is
held while a model thinks (replies/service.py), so a handful serves dozens of waiting replies.
The loop is made in each process that runs tasks (never inherited across fork), so the prefork,
solo and threads pools all work: as the worker starts, so that the first customers after a start
or a crash-restart do not wait for its connections and clients, or else by the first task."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import psycopg
import redis.asyncio as aioredis
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from app.agent.moderation import create_moderator
from app.agent.service import ChatModels, preload_agent
from app.config import get_settings
from app.db.login_role import check_login_role_at
from app.db.pool import create_pool
from app.db.session import Pool
from app.http_clients import pooled_client
from app.kb.embeddings import Embedders, preload
from app.logging import get_logger
from app.redis_client import create_redis
from app.replies.service import AgentKit

T = TypeVar("T")
log = get_logger("workers.runtime")
# the cyclic collector's generation thresholds in a worker process (Python's: 700, 10, 10)
GC_THRESHOLDS = (20_000, 20, 10)


class Background:
    """Best-effort steps that a task starts and does not wait for (a contact's profile, a note
    to the staff's live screens): they run on the loop next to the tasks' own steps, the ones
    that need the database a few at a time (`bounded`) so that they never take the connections
    that replies are waiting for, and the process waits for them before it closes.

    A Celery task of its own would cost more than the step itself (publishing, consuming,
    acknowledging and a thread handoff, about a third of a reply's CPU in the worker), and would
    add nothing a best-effort step needs: one lost in a crash is asked for again by the
    customer's next message."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._running: set[asyncio.Task[object]] = set()

    def start(self, step: Awaitable[object], *, name: str, limit_s: float, bounded: bool) -> None:
        """On the loop's thread."""
        guarded = self._bounded(step, name, limit_s) if bounded else _logged(step, name, limit_s)
        task = asyncio.get_running_loop().create_task(guarded)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _bounded(self, step: Awaitable[object], name: str, limit_s: float) -> None:
        async with self._slots:
            await _logged(step, name, limit_s)

    async def drain(self, within_s: float) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=within_s)


async def _logged(step: Awaitable[object], name: str, limit_s: float) -> None:
    try:
        await asyncio.wait_for(step, limit_s)
    except Exception:
        log.warning("background step failed", step=name, exc_info=True)


@dataclass(frozen=True)
class Resources:
    pool: Pool
    redis: aioredis.Redis
    http: httpx.AsyncClient
    kit: AgentKit
    background: Background


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
        ChatModels(
            settings,
            pooled_client(
                timeout_s=settings.chat_timeout_s, concurrency=settings.worker_concurrency
            ),
        ),
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
    kit.chat_models.warm()
    return Resources(
        pool,
        create_redis(settings.redis_url, socket_timeout=5),
        pooled_client(timeout_s=settings.graph_timeout_s, concurrency=settings.worker_concurrency),
        kit,
        Background(settings.worker_background_concurrency),
    )


def _ensure() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is not None and _runtime.thread.is_alive():
            return _runtime
        loop = new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="worker-loop", daemon=True)
        thread.start()
        try:
            resources = asyncio.run_coroutine_threadsafe(_make_resources(), loop).result(60)
        except BaseException:
            # the next caller makes a loop of its own: this one must not linger
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            raise
        _runtime = _Runtime(loop, thread, resources)
        return _runtime


def _warm_up() -> None:
    """Make the runtime now, beside the consumer, instead of in the first task: its pool's
    connections, TLS contexts, clients and default chat model cost about half a second of CPU,
    which the first customers after every start or crash-restart waited for. A database still
    down is no reason to stop: the first task tries again."""
    try:
        _ensure()
    except Exception:
        log.warning("worker runtime not ready at start; the first task makes it", exc_info=True)


def _warm_up_in_background() -> None:
    threading.Thread(target=_warm_up, name="worker-warm-up", daemon=True).start()


def run(fn: Callable[[Resources], Awaitable[T]], *, timeout: float | None = None) -> T:
    """Run one step of a task on the process's loop and wait for it, cancelled after the soft
    time limit (the threads pool cannot enforce Celery's limits; the caller's retry takes
    over)."""
    runtime = _ensure()
    limit = timeout if timeout is not None else get_settings().task_soft_time_limit_s

    async def step() -> T:
        return await asyncio.wait_for(fn(runtime.resources), limit)

    return asyncio.run_coroutine_threadsafe(step(), runtime.loop).result()


def start_in_background(
    fn: Callable[[Resources], Awaitable[object]],
    *,
    name: str,
    timeout: float | None = None,
    bounded: bool = True,
) -> None:
    """Start a best-effort step on the process's loop and return at once (Background);
    `bounded=False` for one that takes no database connection."""
    runtime = _ensure()
    limit = timeout if timeout is not None else get_settings().task_soft_time_limit_s
    resources = runtime.resources
    runtime.loop.call_soon_threadsafe(
        lambda: resources.background.start(fn(resources), name=name, limit_s=limit, bounded=bounded)
    )


async def _release(resources: Resources) -> None:
    await resources.background.drain(within_s=10)
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
    # What is loaded by now (modules, models, schemas: about 300,000 objects) lives as long as
    # the process: frozen out of the collector's way, a full collection no longer walks it. And
    # dozens of replies in flight allocate fast: collecting the young generation every 20,000
    # allocations instead of 700 took the collector from about 2 ms of CPU per reply to 0.5 ms.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # the parent's loop thread did not survive the fork, and its connections are not this
    # process's to use or close
    global _runtime
    _runtime = None
    _warm_up_in_background()


@worker_ready.connect
def _ready(sender: Any = None, **_: Any) -> None:
    # on prefork the tasks run in the children, each warmed up as it starts (above)
    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        _warm_up_in_background()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close(**_: Any) -> None:
    close()
