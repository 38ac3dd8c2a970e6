"""Enqueueing work for the Celery workers from the API and from Beat.

Publishing blocks on the broker, so async callers go through a thread. A broker outage must not
fail a webhook: the caller has already committed the event, and the sweeper enqueues it later."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from app.logging import get_logger

log = get_logger("queue")

PROCESS_EVENT = "socialsync.events.process_event"

# Customers waiting in a chat are served first; statuses and reads can wait.
QUEUE_BY_KIND = {
    "ig_message": "high",
    "ig_postback": "high",
    "wa_message": "high",
    "ig_echo": "high",
    "ig_comment": "default",
    "ig_mention": "default",
}

_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def enqueue_events_sync(events: Iterable[tuple[int, str, str]]) -> list[int]:
    """(event id, workspace id, kind) -> ids that reached the broker."""
    from workers.celery_app import celery_app

    sent: list[int] = []
    try:
        with celery_app.producer_or_acquire() as producer:
            for event_id, workspace_id, kind in events:
                celery_app.send_task(
                    PROCESS_EVENT,
                    args=[event_id, workspace_id],
                    queue=QUEUE_BY_KIND.get(kind, "low"),
                    producer=producer,
                    retry=True,
                    retry_policy=_RETRY_POLICY,
                    # results are not awaited; subscribing to them would block on a down Redis
                    ignore_result=True,
                )
                sent.append(event_id)
    except Exception as exc:  # the broker is down or unreachable: the sweeper will retry
        log.warning("enqueue failed; events stay pending", error=type(exc).__name__, sent=len(sent))
    return sent


async def enqueue_events(events: list[tuple[int, str, str]]) -> list[int]:
    if not events:
        return []
    return await asyncio.to_thread(enqueue_events_sync, events)
