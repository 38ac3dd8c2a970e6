"""Beat's email alerts for staff (app/alerts/service.py does the work)."""

from __future__ import annotations

from app import queue
from app.alerts.service import send_due_alerts
from app.config import get_settings
from app.mail.sender import Mailer
from workers import runtime
from workers.celery_app import celery_app


@celery_app.task(name=queue.SEND_ALERTS)
def send_alerts() -> dict[str, int]:
    """Claims keep two runs from sending one alert twice."""
    settings = get_settings()
    mailer = Mailer(settings)
    return runtime.run(lambda r: send_due_alerts(r.pool, mailer=mailer, settings=settings))
