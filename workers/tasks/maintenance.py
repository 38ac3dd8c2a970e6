"""Beat's housekeeping jobs. Each claims its time slot in Postgres first, so a second Beat
process (started by mistake) makes every job a no-op instead of a second run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app import queue
from app.analytics.rollup import ROLLUP_JOB, roll_up_analytics, rollup_watermark
from app.config import get_settings
from app.logging import get_logger
from app.maintenance import job_runs
from app.maintenance.retention import delete_old_events, forget_expired_revocations
from app.outbound.service import requeue_pending
from app.social_accounts.token_refresh import refresh_expiring_tokens
from workers import runtime
from workers.celery_app import celery_app

log = get_logger("workers.maintenance")


def once_per_slot(
    job: str, interval_s: float, work: Callable[[runtime.Resources], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    slot = runtime.run(lambda r: job_runs.claim(r.pool, job, interval_s))
    if slot is None:
        log.info("job already ran in this slot; skipped", job=job)
        return {"skipped": True}
    try:
        result = runtime.run(work)
    except Exception:
        # give the slot back so the next tick retries instead of waiting a whole interval
        runtime.run(lambda r: job_runs.release(r.pool, job, slot))
        raise
    runtime.run(lambda r: job_runs.finish(r.pool, job, slot, result))
    return result


@celery_app.task(name=queue.PING)
def ping() -> str:
    """Liveness probe for the worker (used by `make run` and the tests)."""
    return "pong"


@celery_app.task(name=queue.REFRESH_TOKENS)
def refresh_tokens() -> dict[str, Any]:
    settings = get_settings()

    async def work(r: runtime.Resources) -> dict[str, Any]:
        result = await refresh_expiring_tokens(
            r.pool, settings=settings, http=r.http, redis=r.redis
        )
        return result.as_dict()

    return once_per_slot("refresh_tokens", settings.token_refresh_interval_s, work)


@celery_app.task(name=queue.ROLL_UP_ANALYTICS)
def roll_up() -> dict[str, Any]:
    settings = get_settings()

    async def work(r: runtime.Resources) -> dict[str, Any]:
        return await roll_up_analytics(
            r.pool,
            days=settings.analytics_rollup_days,
            since=await rollup_watermark(r.pool),
        )

    return once_per_slot(ROLLUP_JOB, settings.analytics_rollup_interval_s, work)


@celery_app.task(name=queue.CLEAN_UP_EVENTS)
def clean_up_events() -> dict[str, Any]:
    settings = get_settings()

    async def work(r: runtime.Resources) -> dict[str, Any]:
        deleted = await delete_old_events(
            r.pool, retention_days=settings.raw_event_retention_days, batch=settings.retention_batch
        )
        revocations = await forget_expired_revocations(r.pool, batch=settings.retention_batch)
        return {"deleted": deleted, "revocations_forgotten": revocations}

    return once_per_slot("clean_up_events", settings.retention_interval_s, work)


@celery_app.task(name=queue.REQUEUE_OUTBOUND)
def requeue_outbound() -> int:
    """Idempotent on its own (row claims), so it needs no slot."""
    settings = get_settings()
    return runtime.run(lambda r: requeue_pending(r.pool, r.redis, lease_s=settings.send_lease_s))
