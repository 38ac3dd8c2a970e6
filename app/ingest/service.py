"""Turning a stored webhook event into the customer's message, comment or app reply, once.

Runs in a worker with claims scoped to the event's workspace. The event row is locked for the
transaction and finished events are skipped, so a redelivered or duplicated task is harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app.comments import repo as comments_repo
from app.conversations import record as conversations
from app.db.leases import renewing
from app.db.session import Claims, Pool, tenant_session
from app.db.trips import Trip, one_trip, run, tenant_trip
from app.escalations import service as escalations
from app.integrations import events as integration_events
from app.logging import get_logger
from app.outbound import repo as outbound_repo
from app.outbound.metadata import outbound_id_from
from app.webhooks import repo as events_repo

log = get_logger("ingest")

FINISHED = frozenset({"done", "ignored", "failed", "quarantined"})

CHANNEL_BY_KIND = {
    "ig_message": "instagram_dm",
    "ig_postback": "instagram_dm",
    "ig_echo": "instagram_dm",
    "wa_echo": "whatsapp",
    "ig_comment": "instagram_comment",
    "wa_message": "whatsapp",
}


# replies typed in the platform's own app (by the app's name): a person holds the conversation
ECHOES = {"ig_echo": "Instagram", "wa_echo": "WhatsApp Business"}


@dataclass(frozen=True)
class InboundItem:
    """What the decision step (agent, replies) needs about a stored customer message."""

    event_id: int
    workspace_id: UUID
    social_account_id: UUID
    conversation_id: UUID
    contact_external_id: str
    channel: str
    kind: str
    text: str | None
    platform_id: str
    conversation_owner: str
    data: dict[str, Any]
    message_id: UUID | None = None
    # the contact whose profile should be read from Meta now (first contact, or stale)
    profile_due_contact: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ProcessOutcome:
    status: str
    reason: str
    inbound: InboundItem | None = None


async def _store_customer_message(
    trip: Trip,
    event: dict[str, Any],
    payload: dict[str, Any],
    *,
    profile_refresh_days: int,
    lease_s: float,
) -> ProcessOutcome:
    """Stores the message or comment and leaves the event `processing` (held for the burst
    window and the decision; renewed while the agent thinks). A DM goes in two messages to the
    database, the second with the commit (app/db/trips.py)."""
    kind = event["kind"]
    data = payload.get("data") or {}
    sender = payload.get("sender_id")
    if not sender:
        return ProcessOutcome("ignored", "no sender")
    if data.get("is_self"):
        return ProcessOutcome("ignored", "our own account")
    channel = CHANNEL_BY_KIND[kind]
    ws, account = event["workspace_id"], event["social_account_id"]
    thread = conversations.thread_from(
        await trip.send(
            *conversations.thread_queries(
                workspace_id=ws,
                social_account_id=account,
                platform=event["platform"],
                channel=channel,
                customer=sender,
                username=data.get("username"),
                display_name=data.get("profile_name"),
                profile_refresh_days=profile_refresh_days,
            )
        )
    )
    occurred = event["occurred_at"] or event["received_at"]
    received = integration_events.record_query(
        ws,
        integration_events.COMMENT_RECEIVED
        if kind == "ig_comment"
        else integration_events.MESSAGE_RECEIVED,
        {
            "conversation_id": str(thread.conversation_id),
            "channel": channel,
            "contact": {
                "id": sender,
                "username": data.get("username"),
                "name": data.get("profile_name"),
            },
            "text": payload.get("text"),
            "attachments": payload.get("attachments") or [],
            "platform_id": payload["platform_id"],
            "media_id": data.get("media_id") if kind == "ig_comment" else None,
            "sent_at": occurred,
        },
    )
    processing = events_repo.set_event_status_query(
        event_id=event["id"], status="processing", lease_s=lease_s
    )
    message_id = None
    if kind == "ig_comment":
        conn = trip.conn
        await comments_repo.insert_comment(
            conn,
            workspace_id=ws,
            social_account_id=account,
            conversation_id=thread.conversation_id,
            platform_comment_id=payload["platform_id"],
            media_id=data.get("media_id"),
            parent_id=data.get("parent_id"),
            from_id=sender,
            from_username=data.get("username"),
            text=payload.get("text"),
            commented_at=occurred,
        )
        await conversations.record_comment_activity(
            conn, conversation_id=thread.conversation_id, at=occurred
        )
        await run(conn, received)
        await run(conn, processing)
    else:
        rows = await trip.send(
            *conversations.record_inbound_queries(
                workspace_id=ws,
                conversation_id=thread.conversation_id,
                platform_message_id=payload["platform_id"],
                text=payload.get("text"),
                attachments=payload.get("attachments") or [],
                sent_at=occurred,
            ),
            received,
            processing,
            commit=True,
        )
        message_id = rows[0][0]["id"] if rows[0] else None
    item = InboundItem(
        event_id=event["id"],
        workspace_id=ws,
        social_account_id=account,
        conversation_id=thread.conversation_id,
        contact_external_id=sender,
        channel=channel,
        kind=kind,
        text=payload.get("text"),
        platform_id=payload["platform_id"],
        conversation_owner=thread.owner,
        data=data,
        message_id=message_id,
        occurred_at=occurred,
        profile_due_contact=thread.contact_id if thread.profile_due else None,
    )
    return ProcessOutcome("done", "stored", inbound=item)


async def _handle_echo(
    trip: Trip, event: dict[str, Any], payload: dict[str, Any], app_name: str
) -> ProcessOutcome:
    conn = trip.conn
    data = payload.get("data") or {}
    outbound_id = outbound_id_from(data.get("metadata"))
    if outbound_id:
        # usually settled as the echo was stored (webhooks/store.py); kept for events stored before that
        # this also settles a send whose outcome we did not know (timeout after it left)
        await outbound_repo.mark_sent_by_echo(
            conn,
            workspace_id=event["workspace_id"],
            outbound_id=str(outbound_id),
            platform_message_id=payload["platform_id"],
        )
        return ProcessOutcome("ignored", "echo of our own reply")
    if await outbound_repo.is_our_outbound(
        conn,
        workspace_id=event["workspace_id"],
        platform_message_id=payload["platform_id"],
        outbound_id=None,
    ):
        return ProcessOutcome("ignored", "echo of our own reply")
    customer = payload.get("sender_id")
    if not customer:
        return ProcessOutcome("ignored", "echo without recipient")
    # Somebody replied from the platform's own app: a human holds this conversation now.
    ws, account = event["workspace_id"], event["social_account_id"]
    channel = CHANNEL_BY_KIND[event["kind"]]
    thread = conversations.thread_from(
        await trip.send(
            *conversations.thread_queries(
                workspace_id=ws,
                social_account_id=account,
                platform="whatsapp" if channel == "whatsapp" else "instagram",
                channel=channel,
                customer=customer,
            )
        )
    )
    await conversations.record_app_reply(
        conn,
        workspace_id=ws,
        conversation_id=thread.conversation_id,
        platform_message_id=payload["platform_id"],
        text=payload.get("text"),
        attachments=payload.get("attachments") or [],
        sent_at=event["occurred_at"] or event["received_at"],
    )
    await escalations.answered_in_app(
        conn, workspace_id=ws, conversation_id=thread.conversation_id, app_name=app_name
    )
    return ProcessOutcome(
        "done", f"human replied from the {app_name} app; conversation handed to staff"
    )


async def record_event(
    trip: Trip,
    *,
    event_id: int,
    workspace_id: UUID | str,
    lease_s: float,
    profile_refresh_days: int = 30,
) -> ProcessOutcome:
    """Inside the caller's worker transaction: store what the event says, mark it, and return
    the customer's message when there is one to answer."""
    [locked] = await trip.send(
        events_repo.lock_event_query(event_id=event_id, workspace_id=workspace_id)
    )
    if not locked:
        return ProcessOutcome("missing", "no such event in this workspace")
    event = locked[0]
    if event["status"] in FINISHED:
        return ProcessOutcome(event["status"], "already processed")
    payload = event["payload"]
    kind = event["kind"]
    if kind in ECHOES:
        outcome = await _handle_echo(trip, event, payload, ECHOES[kind])
    elif kind in CHANNEL_BY_KIND:
        outcome = await _store_customer_message(
            trip, event, payload, profile_refresh_days=profile_refresh_days, lease_s=lease_s
        )
    else:
        # reactions, reads, edits, deletions, referrals, mentions, statuses: kept as events
        outcome = ProcessOutcome("done", f"{kind} recorded")
    # A customer's message stays `processing` until its reply is decided (in that transaction) or,
    # for comments, planned (finish_event); a crash in between leaves it for the sweeper, and
    # replaying it is safe. _store_customer_message marked it so already.
    if outcome.inbound is None:
        await trip.send(
            events_repo.set_event_status_query(event_id=event_id, status=outcome.status),
            commit=True,
        )
    return outcome


@asynccontextmanager
async def leased(
    pool: Pool, *, event_id: int | None, workspace_id: str, lease_s: float
) -> AsyncIterator[None]:
    """Keep the event's lease while the body runs (a model may think for seconds); within
    `lease_s` of its worker's death the sweeper gives the event to another worker."""
    if event_id is None:
        yield
        return

    async def renew() -> None:
        await one_trip(
            pool,
            Claims.for_worker(workspace_id),
            events_repo.renew_lease_query(event_id=event_id, lease_s=lease_s),
        )

    async with renewing(lease_s, renew):
        yield


async def finish_event(pool: Pool, *, event_id: int, workspace_id: str) -> None:
    await one_trip(
        pool,
        Claims.for_worker(workspace_id),
        events_repo.set_event_status_query(event_id=event_id, status="done"),
    )


async def fail_event(pool: Pool, *, event_id: int, workspace_id: str, error: str) -> None:
    """An event that cannot be processed (the same input fails the same way): kept, with the
    error, for support; the sweeper leaves `failed` events alone."""
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        await events_repo.set_event_status(
            conn, event_id=event_id, status="failed", error=error[:2000]
        )


async def process_event(
    pool: Pool,
    *,
    event_id: int,
    workspace_id: str,
    lease_s: float,
    profile_refresh_days: int = 30,
) -> ProcessOutcome:
    async with tenant_trip(pool, Claims.for_worker(workspace_id)) as trip:
        outcome = await record_event(
            trip,
            event_id=event_id,
            workspace_id=workspace_id,
            lease_s=lease_s,
            profile_refresh_days=profile_refresh_days,
        )
    log.info("event processed", event_id=event_id, status=outcome.status, reason=outcome.reason)
    return outcome
