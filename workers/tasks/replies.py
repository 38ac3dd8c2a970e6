from __future__ import annotations

from collections.abc import Awaitable, Callable

from app import queue
from app.config import Settings, get_settings
from app.live import events
from app.logging import get_logger
from app.outbound import service as outbound_service
from app.outbound.service import SendOutcome, SendResult
from app.replies import service as replies_service
from workers import runtime
from workers.celery_app import celery_app
from workers.live import notify
from workers.transient import is_transient

log = get_logger("workers.replies")


def _sender(
    settings: Settings, outbound_id: str, workspace_id: str
) -> Callable[[runtime.Resources], Awaitable[SendOutcome]]:
    def send(r: runtime.Resources) -> Awaitable[SendOutcome]:
        return outbound_service.send_outbound(
            r.pool,
            settings=settings,
            http=r.http,
            redis=r.redis,
            outbound_id=outbound_id,
            workspace_id=workspace_id,
        )

    return send


def _tell(outcome: SendOutcome, outbound_id: str, workspace_id: str) -> None:
    """Staff screens hear of a message that went out (to show it) and of one that did not."""
    if outcome.result == SendResult.SENT:
        notify(workspace_id, events.MESSAGE_SENT, {"outbound_id": outbound_id})
    elif outcome.result in (SendResult.DEAD, SendResult.ESCALATED):
        notify(
            workspace_id,
            events.SEND_FAILED,
            {"outbound_id": outbound_id, "result": outcome.result.value, "error": outcome.error},
        )


def send_now_or_later(outbound_ids: list[str], workspace_id: str) -> None:
    """Send right away in this task; what needs a retry goes to the send task with backoff."""
    settings = get_settings()
    for outbound_id in outbound_ids:
        outcome = runtime.run(_sender(settings, outbound_id, workspace_id))
        _tell(outcome, outbound_id, workspace_id)
        if outcome.result == SendResult.RETRY:
            delay = (
                outcome.retry_after_s
                if outcome.retry_after_s is not None
                else settings.send_retry_base_s
            )
            send_outbound.apply_async(args=[outbound_id, workspace_id], countdown=delay)


@celery_app.task(name=queue.REPLY_TO_CONVERSATION, bind=True, max_retries=5, acks_late=True)
def reply_to_conversation(  # type: ignore[no-untyped-def]
    self,
    workspace_id: str,
    conversation_id: str,
    message_id: str,
    event_id: int | None = None,
) -> str:
    try:
        planned = runtime.run(
            lambda r: replies_service.plan_conversation_reply(
                r.pool,
                r.kit,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                message_id=message_id,
                event_id=event_id,
            )
        )
    except Exception as exc:
        if is_transient(exc):
            # spent retries re-raise: the event's lease runs out and the sweeper drives it again
            log.warning(
                "deciding a reply failed; will retry",
                conversation_id=conversation_id,
                error=repr(exc),
            )
            raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from exc
        log.exception("deciding a reply failed for good", conversation_id=conversation_id)
        error = repr(exc)
        runtime.run(
            lambda r: replies_service.hand_over_after_failure(
                r.pool,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                event_id=event_id,
                error=error,
            )
        )
        return "handed to staff"
    # the event was finished with the decision (plan_conversation_reply), in one transaction
    if planned.status == "escalated":
        notify(workspace_id, events.ESCALATION_OPENED, {"conversation_id": conversation_id})
    send_now_or_later(planned.outbound_ids, workspace_id)
    return planned.status


@celery_app.task(name=queue.SEND_OUTBOUND, bind=True, acks_late=True)
def send_outbound(self, outbound_id: str, workspace_id: str) -> str:  # type: ignore[no-untyped-def]
    settings = get_settings()
    outcome = runtime.run(
        lambda r: outbound_service.send_outbound(
            r.pool,
            settings=settings,
            http=r.http,
            redis=r.redis,
            outbound_id=outbound_id,
            workspace_id=workspace_id,
        )
    )
    _tell(outcome, outbound_id, workspace_id)
    if outcome.result == SendResult.RETRY:
        if self.request.retries >= settings.send_max_retries:
            runtime.run(
                lambda r: outbound_service.give_up(
                    r.pool,
                    outbound_id=outbound_id,
                    workspace_id=workspace_id,
                    error=outcome.error or "unknown",
                )
            )
            notify(
                workspace_id,
                events.SEND_FAILED,
                {"outbound_id": outbound_id, "result": "dead", "error": outcome.error},
            )
            return "dead"
        # the service chose the delay (backoff from the attempts, what Meta asked, a lease's end)
        # and leased the send to this retry for that long
        delay = (
            outcome.retry_after_s
            if outcome.retry_after_s is not None
            else settings.send_retry_base_s
        )
        raise self.retry(countdown=delay, max_retries=settings.send_max_retries)
    return outcome.result.value
