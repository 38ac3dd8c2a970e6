from __future__ import annotations

from app.config import get_settings
from app.reconcile import service as reconcile_service
from workers import runtime
from workers.celery_app import celery_app


@celery_app.task(name="socialsync.reconcile.radar")
def radar() -> dict[str, int]:
    """Beat: poll recent conversations and comments; a second Beat by mistake only re-finds what
    the idempotent inbox already has."""
    settings = get_settings()
    result = runtime.run(
        lambda r: reconcile_service.run_radar(r.pool, settings=settings, http=r.http, redis=r.redis)
    )
    return {"accounts": result.accounts, "seen": result.seen, "found": result.found}
