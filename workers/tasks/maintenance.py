from __future__ import annotations

from workers.celery_app import celery_app


@celery_app.task(name="socialsync.maintenance.ping")
def ping() -> str:
    """Liveness probe for the worker (used by `make run` and the tests)."""
    return "pong"
