from __future__ import annotations

from app import queue
from app.config import get_settings
from app.ingest import profiles
from app.ingest import service as ingest_service
from app.live import events
from app.logging import get_logger
from app.replies import pipeline
from app.webhooks import service as webhooks_service
from workers import runtime
from workers.celery_app import celery_app
from workers.live import notify
from workers.tasks.replies import reply_to_conversation, send_now_or_later
from workers.transient import is_transient

log = get_logger("workers.events")


@celery_app.task(name=queue.PROCESS_EVENT, bind=True, max_retries=8, acks_late=True)
def process_event(self, event_id: int, workspace_id: str) -> str:  # type: ignore[no-untyped-def]
    try:
        handled = runtime.run(
            lambda r: pipeline.handle_event(
                r.pool, r.kit, event_id=event_id, workspace_id=workspace_id
            )
        )
        if handled.profile_contact is not None:
            # read while the reply's model thinks; the reply never waits for it
            _read_profile(handled.profile_contact, workspace_id)
        if handled.reply is not None:
            if handled.reply.after_s > 0:
                # the rest of a burst may come: the last message's task answers all of them
                _reply_later(handled.reply)
            else:
                reply_to_conversation.run(*handled.reply.args)
        send_now_or_later(handled.sends, workspace_id)
        if handled.received is not None:
            notify(workspace_id, events.MESSAGE_RECEIVED, handled.received)
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
            lambda r: ingest_service.fail_event(
                r.pool, event_id=event_id, workspace_id=workspace_id, error=error
            )
        )
        return "failed"
    return handled.status


def _reply_later(reply: pipeline.ReplyLater) -> None:
    published = runtime.run(
        lambda r: queue.publish_later(
            r.redis, queue.REPLY_TO_CONVERSATION, reply.args, after_s=reply.after_s
        )
    )
    if not published:
        # retried: the event stays leased and unfinished until its reply is on its way
        raise ConnectionError("the broker did not take the reply's task")


def _read_profile(contact_id: str, workspace_id: str) -> None:
    """Best effort: a lost or failed read leaves the contact shown by its id until its next
    message asks again."""
    settings = get_settings()
    runtime.start_in_background(
        lambda r: profiles.refresh_profile(
            r.pool,
            settings=settings,
            http=r.http,
            redis=r.redis,
            contact_id=contact_id,
            workspace_id=workspace_id,
        ),
        name="contact profile",
    )


@celery_app.task(name=queue.SWEEP_STALE_EVENTS)
def sweep_stale() -> int:
    settings = get_settings()
    return runtime.run(lambda r: webhooks_service.sweep_stale_events(settings, r.pool, r.redis))
