"""What happens after a webhook event is taken from the queue: it becomes a message (ingest), and
this says what comes next, for the task to schedule. A customer's message waits the short draft
delay before its reply is drafted (the event stays `processing`, leased, until then); a
comment is decided at once and written with the event's end; anything else is just recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.db.session import Pool
from app.ingest import service as ingest_service
from app.replies.service import AgentKit, plan_comment_reply


@dataclass(frozen=True)
class ReplyLater:
    """Decide the conversation's reply after `after_s` (0: now, in the same task)."""

    workspace_id: str
    conversation_id: str
    message_id: str
    event_id: int
    after_s: float

    @property
    def args(self) -> list[object]:
        return [self.workspace_id, self.conversation_id, self.message_id, self.event_id]


@dataclass(frozen=True)
class EventHandled:
    status: str
    reply: ReplyLater | None = None
    # outbound messages written and ready to send
    sends: list[str] = field(default_factory=list)
    # a contact whose profile is to be read from Meta (first contact, or stale)
    profile_contact: str | None = None
    # the customer's message just stored, for the staff's live screens
    received: dict[str, str] | None = None


async def handle_event(
    pool: Pool, kit: AgentKit, *, event_id: int, workspace_id: str
) -> EventHandled:
    settings = kit.settings
    outcome = await ingest_service.process_event(
        pool,
        event_id=event_id,
        workspace_id=workspace_id,
        lease_s=settings.event_lease_s,
        profile_refresh_days=settings.profile_refresh_days,
    )
    item = outcome.inbound
    if item is None:
        return EventHandled(outcome.status)
    profile = str(item.profile_due_contact) if item.profile_due_contact else None
    received = {
        "conversation_id": str(item.conversation_id),
        "channel": item.channel,
        "contact": item.contact_external_id,
    }
    if item.channel == "instagram_comment":
        planned = await plan_comment_reply(pool, kit, item)
        return EventHandled(
            outcome.status,
            sends=planned.outbound_ids,
            profile_contact=profile,
            received=received,
        )
    if item.message_id:
        return EventHandled(
            outcome.status,
            profile_contact=profile,
            received=received,
            reply=ReplyLater(
                workspace_id,
                str(item.conversation_id),
                str(item.message_id),
                event_id,
                after_s=min(settings.reply_draft_delay_s, settings.reply_burst_window_s),
            ),
        )
    await ingest_service.finish_event(pool, event_id=event_id, workspace_id=workspace_id)
    return EventHandled(outcome.status, profile_contact=profile, received=received)
