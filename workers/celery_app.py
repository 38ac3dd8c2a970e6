"""The Celery app: Redis broker, JSON only, late acks, explicit queues (PRACTICES.md, Celery)."""

from __future__ import annotations

import ssl
from typing import Any

from celery import Celery
from kombu import Queue

from app import queue
from app.config import get_settings
from app.logging import configure_logging

settings = get_settings()
# the same structured logs (level, format) as the API; structlog's defaults would print every
# debug line through Celery's stdout redirection
configure_logging(log_format=settings.log_format, level=settings.log_level)

# Beat's one schedule: (entry, task, interval); each task's queue is in app/queue.py's table.
# Every job is safe to run twice (row claims, idempotent writes) and the housekeeping ones claim
# a slot in app_private.job_runs; a run that would start after its next one is due expires
# instead of piling up.
BEAT_JOBS = (
    ("reconcile-missed-events", queue.RECONCILE_RADAR, settings.reconcile_interval_s),
    ("sweep-stale-webhook-events", queue.SWEEP_STALE_EVENTS, settings.webhook_sweep_interval_s),
    ("requeue-pending-outbound", queue.REQUEUE_OUTBOUND, settings.outbound_requeue_interval_s),
    ("publish-due-posts", queue.PUBLISH_DUE_POSTS, settings.publish_interval_s),
    ("deliver-webhooks", queue.DELIVER_WEBHOOKS, settings.outgoing_webhook_interval_s),
    ("send-alerts", queue.SEND_ALERTS, settings.alert_interval_s),
    ("refresh-tokens", queue.REFRESH_TOKENS, settings.token_refresh_interval_s),
    ("roll-up-analytics", queue.ROLL_UP_ANALYTICS, settings.analytics_rollup_interval_s),
    ("clean-up-raw-events", queue.CLEAN_UP_EVENTS, settings.retention_interval_s),
)


def beat_schedule() -> dict[str, dict[str, Any]]:
    return {
        name: {
            "task": task,
            "schedule": every,
            "options": {"queue": queue.TASK_QUEUES[task], "expires": every},
        }
        for name, task, every in BEAT_JOBS
    }


def broker_tls(url: str | None) -> dict[str, Any] | None:
    """`rediss://` without `ssl_cert_reqs`: verify the server (kombu's own default for that URL
    is no verification, and it applies only to its built-in transport name, not to ours)."""
    if url is None or not url.startswith("rediss://") or "ssl_cert_reqs" in url:
        return None
    return {"ssl_cert_reqs": ssl.CERT_REQUIRED}


# no result backend: nothing reads a task's return value (the outcome is in Postgres), and each
# of the threads pool's threads made a Redis result client of its own on its first task
celery_app = Celery("socialsync", broker=settings.redis_url)
celery_app.conf.update(
    # kombu's Redis transport, but a broker killed under the worker is a reconnect, not a crash
    broker_transport="workers.broker:Transport",
    broker_use_ssl=broker_tls(settings.redis_url),
    task_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_pool=settings.worker_pool,
    worker_concurrency=settings.worker_concurrency,
    task_soft_time_limit=settings.task_soft_time_limit_s,
    task_time_limit=settings.task_time_limit_s,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # short socket timeouts: a publisher (the webhook endpoint) must fail fast when Redis is down
    broker_transport_options={
        "visibility_timeout": settings.celery_visibility_timeout_s,
        "socket_timeout": 2,
        "socket_connect_timeout": 1,
    },
    broker_connection_timeout=1,
    task_queues=tuple(Queue(name) for name in queue.QUEUES),
    task_default_queue="default",
    # a retry or countdown (apply_async) goes back to its own queue
    task_routes={task: {"queue": name} for task, name in queue.TASK_QUEUES.items()},
    timezone="UTC",
    beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
    imports=(
        "workers.tasks.maintenance",
        "workers.tasks.events",
        "workers.tasks.kb",
        "workers.tasks.replies",
        "workers.tasks.reconcile",
        "workers.tasks.publishing",
        "workers.tasks.integrations",
        "workers.tasks.alerts",
    ),
    beat_schedule=beat_schedule(),
)
