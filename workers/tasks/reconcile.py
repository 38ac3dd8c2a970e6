from __future__ import annotations

from typing import Any

from app import queue
from app.config import get_settings
from app.reconcile import service as reconcile_service
from workers import runtime
from workers.celery_app import celery_app
from workers.tasks.maintenance import once_per_slot


@celery_app.task(name=queue.RECONCILE_RADAR)
def radar() -> dict[str, Any]:
    """Beat: poll recent conversations and comments; a second Beat by mistake only re-finds what
    the idempotent event store already has."""
    settings = get_settings()

    async def work(r: runtime.Resources) -> dict[str, Any]:
        result = await reconcile_service.run_radar(
            r.pool, settings=settings, http=r.http, redis=r.redis
        )
        return {"accounts": result.accounts, "seen": result.seen, "found": result.found}

    # the slot's result row (app_private.job_runs) keeps what each run found
    return once_per_slot("reconcile_radar", settings.reconcile_interval_s, work)
