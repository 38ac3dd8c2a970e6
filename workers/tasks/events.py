from __future__ import annotations

from app import queue
from app.config import get_settings
from app.inbox import service as inbox_service
from app.logging import get_logger
from app.replies import service as replies_service
from app.webhooks import service as webhooks_service
from workers import runtime
from workers.celery_app import celery_app
from workers.tasks.replies import reply_to_conversation, send_now_or_later
from workers.transient import is_transient

log = get_logger("workers.events")


@celery_app.task(name=queue.PROCESS_EVENT, bind=True, max_retries=8, acks_late=True)
def process_event(self, event_id: int, workspace_id: str) -> str:  # type: ignore[no-untyped-def]
    settings = get_settings()
    try:
        outcome = runtime.run(
            lambda r: inbox_service.process_event(
                r.pool, event_id=event_id, workspace_id=workspace_id, lease_s=settings.event_lease_s
            )
        )
        item = outcome.inbound
        if item is not None and item.channel != "instagram_comment" and item.message_id:
            # The event stays `processing` until the reply is decided (the decision's transaction
            # finishes it), so a worker killed in between leaves it to the sweeper, never dropped.
            args = [workspace_id, str(item.conversation_id), str(item.message_id), event_id]
            if settings.reply_burst_window_s > 0:
                # wait for the rest of a burst; the last message's task answers all of them
                reply_to_conversation.apply_async(
                    args=args, countdown=settings.reply_burst_window_s
                )
            else:
                reply_to_conversation.run(*args)
        elif item is not None:
            if item.channel == "instagram_comment":
                planned = runtime.run(
                    lambda r: replies_service.plan_comment_reply(r.pool, r.kit, item)
                )
                send_now_or_later(planned.outbound_ids, workspace_id)
            runtime.run(
                lambda r: inbox_service.finish_event(
                    r.pool, event_id=event_id, workspace_id=workspace_id
                )
            )
    except Exception as exc:
        if is_transient(exc):
            # the event stays unfinished in Postgres: retried with backoff, and once the retries
            # are spent the sweeper hands it out again when its lease runs out
            log.warning(
                "processing failed; will retry",
                event_id=event_id,
                retries=self.request.retries,
                error=repr(exc),
            )
            raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from exc
        # the same input would fail the same way: kept as failed, with the error, not swept
        log.exception("processing failed for good", event_id=event_id)
        error = repr(exc)
        runtime.run(
            lambda r: inbox_service.fail_event(
                r.pool, event_id=event_id, workspace_id=workspace_id, error=error
            )
        )
        return "failed"
    return outcome.status


@celery_app.task(name=queue.SWEEP_STALE_EVENTS)
def sweep_stale() -> int:
    settings = get_settings()
    return runtime.run(lambda r: webhooks_service.sweep_stale_events(settings, r.pool, r.redis))
