"""Beat's posting of outgoing webhooks (app/integrations/delivery.py does the work)."""

from __future__ import annotations

from app import queue
from app.config import get_settings
from app.integrations.delivery import deliver_due
from workers import runtime
from workers.celery_app import celery_app


@celery_app.task(name=queue.DELIVER_WEBHOOKS)
def deliver_webhooks() -> dict[str, int]:
    """Leases keep two runs off one delivery, so a second Beat's tick is harmless."""
    settings = get_settings()
    return runtime.run(lambda r: deliver_due(r.pool, http=r.http, settings=settings))
