"""Sending an outbound message at most once.

The row was written (and committed) before this runs. Here it is claimed under a row lock,
checked against the conversation's owner and Meta's windows *at send time*, marked `sending`,
sent, and marked with the outcome. A send that may have left (a timeout after the request left:
`unconfirmed`; a worker that died mid-send: a `sending` whose lease ran out) is never resent
blindly: the echo webhook (which carries our outbound id) settles it, and an Instagram DM is
first looked up in the conversation; what cannot be checked is left to staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import redis.asyncio as aioredis

from app.comments import repo as comments_repo
from app.config import Settings
from app.conversations import record as conversations
from app.conversations import repo as conversations_repo
from app.db.leases import renewing
from app.db.retry import retrying_conflicts
from app.db.session import Claims, Pool, privileged_session, tenant_session
from app.db.trips import tenant_trip
from app.errors import AppError
from app.escalations import service as escalations
from app.integrations import events as integration_events
from app.logging import get_logger
from app.outbound import repo
from app.outbound.metadata import metadata_for
from app.platforms.meta import listing
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import (
    GraphAPIError,
    OutsideWindowError,
    PermanentError,
    TokenExpiredError,
    UnknownOutcome,
)
from app.platforms.meta.events import from_graph_time
from app.platforms.meta.instagram import InstagramClient
from app.platforms.meta.whatsapp import WhatsAppClient
from app.queue import SEND_OUTBOUND, publish
from app.social_accounts import token_health

log = get_logger("outbound")


class NotSendable(AppError):
    """A message the customer cannot receive now (Meta's windows): refused before it is queued."""

    status_code = 422
    error_code = "not_sendable"


class SendResult(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"
    UNCONFIRMED = "unconfirmed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SendOutcome:
    result: SendResult
    retry_after_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class Eligibility:
    """Whether Meta allows this message now (META.md), and the tag it must carry."""

    reason: str | None = None
    tag: str | None = None


def check_eligibility(
    *,
    kind: str,
    sender: str,
    last_inbound_at: datetime | None,
    payload: dict[str, Any],
    settings: Settings,
    now: datetime,
) -> Eligibility:
    if kind in ("dm", "whatsapp"):
        since = now - last_inbound_at if last_inbound_at is not None else None
        if since is None or since > timedelta(hours=settings.messaging_window_h):
            if kind == "whatsapp":
                if payload.get("template"):
                    return Eligibility()
                return Eligibility(
                    "outside WhatsApp's 24-hour window: only an approved template may be sent"
                )
            # a person (never the bot) may answer for 7 days with the HUMAN_AGENT tag
            if (
                sender == "human"
                and since is not None
                and since <= timedelta(days=settings.human_agent_window_days)
            ):
                return Eligibility(tag="HUMAN_AGENT")
            return Eligibility("outside Instagram's 24-hour messaging window")
    if kind == "private_reply":
        commented = payload.get("commented_at")
        if commented and now - datetime.fromisoformat(commented) > timedelta(
            days=settings.private_reply_window_days
        ):
            return Eligibility("the comment is older than 7 days: no private reply allowed")
    return Eligibility()


def _eligibility(row: dict[str, Any], settings: Settings, now: datetime) -> Eligibility:
    return check_eligibility(
        kind=row["kind"],
        sender=row["sender"],
        last_inbound_at=row["last_inbound_at"],
        payload=row["payload"],
        settings=settings,
        now=now,
    )


async def _call(
    client: InstagramClient | WhatsAppClient, row: dict[str, Any], tag: str | None
) -> str | None:
    payload, kind, recipient = row["payload"], row["kind"], row["recipient"]
    metadata = metadata_for(row["id"])
    if isinstance(client, WhatsAppClient):
        if template := payload.get("template"):
            return await client.send_template(
                recipient,
                template["name"],
                template.get("language", "en_US"),
                template.get("components"),
            )
        if image := payload.get("image_url"):
            return await client.send_media(recipient, "image", image, caption=payload.get("text"))
        return await client.send_text(recipient, payload["text"])
    if kind == "dm":
        if image := payload.get("image_url"):
            return await client.send_image(recipient, image, tag=tag, metadata=metadata)
        return await client.send_text(recipient, payload["text"], tag=tag, metadata=metadata)
    if kind == "comment_reply":
        return await client.reply_to_comment(recipient, payload["text"])
    if kind == "private_reply":
        return await client.private_reply(recipient, payload["text"], metadata=metadata)
    if kind == "hide_comment":
        await client.hide_comment(recipient, True)
        return None
    raise PermanentError(f"unknown outbound kind {kind!r}")


async def send_outbound(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    outbound_id: str,
    workspace_id: str,
    now: datetime | None = None,
) -> SendOutcome:
    claims = Claims.for_worker(workspace_id)
    now = now or datetime.now(UTC)
    # sent in two messages (app/db/trips.py): the claim, then the decision with the commit
    async with tenant_trip(pool, claims) as trip:
        [claimed] = await trip.send(repo.claim_for_send_query(outbound_id=outbound_id))
        row = claimed[0] if claimed else None
        conn = trip.conn
        if row is None or row["status"] in ("sent", "dead", "cancelled"):
            return SendOutcome(SendResult.SKIPPED)
        if row["status"] in ("sending", "unconfirmed"):
            settled = await _settle_uncertain(
                conn, row, settings=settings, http=http, redis=redis, now=now
            )
            if settled is not None:
                return settled
        # the holding reply is the bot's word that a person will answer: sent although they hold it
        holding = bool((row["payload"] or {}).get("holding"))
        if (
            row["conversation_id"]
            and row["sender"] == "bot"
            and row["owner"] == "human"
            and not holding
        ):
            await repo.set_status(
                conn,
                outbound_id=outbound_id,
                status="cancelled",
                error="a human holds the conversation",
            )
            await _escalate(conn, row, "a human took over before the bot's reply went out")
            return SendOutcome(SendResult.CANCELLED)
        eligibility = _eligibility(row, settings, now)
        if reason := eligibility.reason:
            await repo.set_status(conn, outbound_id=outbound_id, status="cancelled", error=reason)
            await _escalate(conn, row, reason)
            return SendOutcome(SendResult.ESCALATED, error=reason)
        # the lease outlasts one Graph call: while it runs, nobody else touches this send
        await trip.send(
            repo.set_status_query(
                outbound_id=outbound_id,
                status="sending",
                count_attempt=True,
                lease_s=settings.send_lease_s,
            ),
            commit=True,
        )

    async def renew() -> None:
        async with tenant_session(pool, claims) as conn:
            await repo.renew_send_lease(
                conn, outbound_id=outbound_id, lease_s=settings.send_lease_s
            )

    try:
        client = clients_for(row, settings=settings, http=http, redis=redis)
        # renewed while the Graph client retries and waits out throttling
        async with renewing(settings.send_lease_s, renew):
            platform_id = await _call(client, row, eligibility.tag)
    except UnknownOutcome as exc:
        return await _finish(
            pool,
            claims,
            row,
            "unconfirmed",
            str(exc),
            SendOutcome(SendResult.UNCONFIRMED, error=str(exc)),
            # an Instagram DM is looked up once the lease ends (its echo may settle it first);
            # anything else offers no listing to check, so staff are told now rather than never
            escalate=None if _checkable(row) else UNCONFIRMED_FOR_STAFF,
            lease_s=settings.send_lease_s,
        )
    except (OutsideWindowError, TokenExpiredError) as exc:
        expired = isinstance(exc, TokenExpiredError)
        outcome = SendOutcome(SendResult.DEAD if expired else SendResult.ESCALATED, error=str(exc))
        return await _finish(
            pool,
            claims,
            row,
            "dead",
            str(exc),
            outcome,
            escalate=str(exc),
            refused=exc if expired else None,
            settings=settings,
        )
    except GraphAPIError as exc:
        if exc.transient:
            delay = retry_delay(settings, attempts=row["attempts"] + 1, asked=exc.retry_after_s)
            return await _finish(
                pool,
                claims,
                row,
                "failed",
                str(exc),
                SendOutcome(SendResult.RETRY, retry_after_s=delay, error=str(exc)),
                # the retry task owns it until a little after its countdown
                lease_s=delay + settings.send_lease_s,
            )
        return await _finish(
            pool, claims, row, "dead", str(exc), SendOutcome(SendResult.DEAD, error=str(exc))
        )

    await retrying_conflicts(lambda: _record_sent(pool, claims, row, platform_id))
    log.info("sent", outbound_id=outbound_id, kind=row["kind"])
    return SendOutcome(SendResult.SENT)


async def _record_sent(
    pool: Pool, claims: Claims, row: dict[str, Any], platform_id: str | None
) -> None:
    """The message went out: one transaction records it. The conversation is written first
    (record_sent_queries), the order a staff reply takes its locks in (conversation, then the outbound
    row); the other order deadlocks with a reply typed at the same moment."""
    in_thread = row["conversation_id"] and row["kind"] in (
        "dm",
        "whatsapp",
        "private_reply",
        "comment_reply",
    )
    queries = (
        conversations.record_sent_queries(
            workspace_id=row["workspace_id"],
            conversation_id=row["conversation_id"],
            sender=row["sender"],
            platform_message_id=platform_id,
            text=row["payload"].get("text"),
            attachments=[{"type": "image", "url": image}]
            if (image := row["payload"].get("image_url"))
            else [],
        )
        if in_thread
        else []
    )
    queries.append(
        repo.set_status_query(outbound_id=row["id"], status="sent", platform_message_id=platform_id)
    )
    comment = row["kind"] in ("comment_reply", "private_reply", "hide_comment")
    clear_token = token_health.needs_clearing(row)
    # a DM's record goes in one message with its commit (app/db/trips.py)
    async with tenant_trip(pool, claims) as trip:
        await trip.send(*queries, commit=not (comment or clear_token))
        conn = trip.conn
        if comment:
            await comments_repo.record_sent(
                conn,
                workspace_id=row["workspace_id"],
                platform_comment_id=row["recipient"],
                kind=row["kind"],
            )
        if clear_token:
            await token_health.record_success(conn, account_id=row["social_account_id"])


UNCONFIRMED_FOR_STAFF = (
    "Meta did not confirm whether the bot's reply went out: check the chat, then answer or "
    "resend the draft"
)


def _checkable(row: dict[str, Any]) -> bool:
    """Only an Instagram DM can be looked up in Meta's conversation listing."""
    return bool(row["platform"] == "instagram" and row["kind"] == "dm")


async def _escalate(conn: Any, row: dict[str, Any], reason: str) -> None:
    """The message is not going out: its conversation goes to staff with it as the draft."""
    if row["conversation_id"]:
        await escalations.open_escalation(
            conn,
            workspace_id=row["workspace_id"],
            conversation_id=row["conversation_id"],
            reason=reason,
            draft=row["payload"].get("text"),
            decision_id=None,
            event_id=None,
        )


async def _settle_uncertain(
    conn: Any,
    row: dict[str, Any],
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    now: datetime,
) -> SendOutcome | None:
    """A send that may have reached Meta: its worker died mid-send (`sending`) or the request
    timed out (`unconfirmed`). None means "not delivered: send it"; otherwise the outcome."""
    lease_left = (row["lease_until"] - now).total_seconds() if row["lease_until"] else 0.0
    if row["status"] == "sending" and lease_left > 0:
        # another worker is sending it right now: look again once its lease is over
        return SendOutcome(SendResult.RETRY, retry_after_s=lease_left, error="send in progress")
    if not _checkable(row):
        # WhatsApp and comments offer no listing to check against: staff decide
        await repo.set_status(
            conn,
            outbound_id=row["id"],
            status="unconfirmed",
            error="the send may have reached Meta; check before resending",
        )
        if row["status"] == "sending":  # a dead worker's send: nobody has told staff yet
            await _escalate(conn, row, UNCONFIRMED_FOR_STAFF)
        return SendOutcome(SendResult.UNCONFIRMED)
    try:
        client = clients_for(row, settings=settings, http=http, redis=redis)
        assert isinstance(client, InstagramClient)
        known = await conversations_repo.platform_message_ids(
            conn, conversation_id=row["conversation_id"]
        )
        delivered = await _find_in_conversation(client, row, known)
    except GraphAPIError as exc:
        if (now - row["created_at"]).total_seconds() < settings.send_settle_bound_s:
            delay = retry_delay(settings, attempts=row["attempts"], asked=exc.retry_after_s)
            await repo.set_status(
                conn,
                outbound_id=row["id"],
                status="unconfirmed",
                error=f"could not look the send up yet: {exc}",
                lease_s=delay + settings.send_lease_s,
            )
            return SendOutcome(SendResult.RETRY, retry_after_s=delay, error=str(exc))
        # unsettled for too long: never left in limbo, staff decide with the draft in hand
        await repo.set_status(
            conn, outbound_id=row["id"], status="dead", error=f"{UNCONFIRMED_FOR_STAFF} ({exc})"
        )
        await _escalate(conn, row, UNCONFIRMED_FOR_STAFF)
        return SendOutcome(SendResult.ESCALATED, error=str(exc))
    if delivered is not None:
        await repo.set_status(
            conn, outbound_id=row["id"], status="sent", platform_message_id=delivered
        )
        return SendOutcome(SendResult.SENT)
    return None


async def _find_in_conversation(
    client: InstagramClient, row: dict[str, Any], known_ids: set[str]
) -> str | None:
    """Our message in this recipient's own conversation (never another customer's, whatever
    its text: FAQ answers are the same for everyone), sent by the account after the row was
    written, and not one we already know (an earlier reply, staff's answer from the app).
    Sends to one conversation are serialised, so such a message is this row's."""
    since = row["created_at"] - timedelta(seconds=5)
    for conversation in await client.list_conversations(user_id=str(row["recipient"])):
        for message in await client.list_messages(conversation["id"]):
            when = from_graph_time(message.get("created_time"))
            if (
                listing.sent_by_account(client.ig_id, message)
                and str(message.get("id")) not in known_ids
                and (when is None or when >= since)
            ):
                return str(message["id"])
    return None


async def _finish(
    pool: Pool,
    claims: Claims,
    row: dict[str, Any],
    status: str,
    error: str,
    outcome: SendOutcome,
    escalate: str | None = None,
    refused: GraphAPIError | None = None,
    settings: Settings | None = None,
    lease_s: float | None = None,
) -> SendOutcome:
    async def write() -> None:
        async with tenant_session(pool, claims) as conn:
            await repo.set_status(
                conn, outbound_id=row["id"], status=status, error=error, lease_s=lease_s
            )
            if escalate:
                await _escalate(conn, row, escalate)
            if status == "dead" or escalate:
                await _tell_failed(conn, row, "dead" if status == "dead" else "escalated", error)
            if refused is not None and settings is not None:
                await token_health.record_refusal(
                    conn, account_id=row["social_account_id"], exc=refused, settings=settings
                )

    # escalating writes the conversation after the outbound row: a staff reply at the same
    # moment can make this the deadlock's victim, and then it is simply written again
    await retrying_conflicts(write)
    log.warning("send did not complete", outbound_id=str(row["id"]), status=status, error=error)
    return outcome


async def give_up(pool: Pool, *, outbound_id: str, workspace_id: str, error: str) -> None:
    """After the last retry: dead-lettered, visible to staff with the error, retryable by them."""
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        await repo.set_status(
            conn, outbound_id=outbound_id, status="dead", error=f"gave up after retries: {error}"
        )
        row = await repo.get_outbound(conn, outbound_id=outbound_id)
        if row is not None:
            await _tell_failed(conn, row, "dead", f"gave up after retries: {error}")


async def _tell_failed(conn: Any, row: dict[str, Any], result: str, error: str) -> None:
    """Integrations hear of a message that did not go out (the staff's screens do from the
    task, app/live)."""
    await integration_events.record(
        conn,
        row["workspace_id"],
        integration_events.SEND_FAILED,
        {
            "outbound_id": str(row["id"]),
            "conversation_id": str(row["conversation_id"]) if row["conversation_id"] else None,
            "kind": row["kind"],
            "result": result,
            "error": error,
        },
    )


def retry_delay(settings: Settings, *, attempts: int, asked: float | None) -> float:
    """Exponential backoff from the attempt count, never sooner than Meta asked."""
    backoff = settings.send_retry_base_s * 2 ** max(attempts - 1, 0)
    return float(max(asked or 0.0, min(backoff, settings.send_retry_max_s)))


async def requeue_pending(pool: Pool, redis: aioredis.Redis, *, lease_s: float) -> int:
    """Beat: enqueue the sends nobody owns any more: their lease ran out (a worker died between
    the decision and the send or in the middle of it, a retry task was lost) or they never had
    one (released by staff). send_outbound settles a lapsed `sending` one and an `unconfirmed`
    Instagram DM by looking it up in the recipient's conversation before sending again. Sending
    is idempotent (row lock, status check), so a duplicate task is harmless."""
    async with privileged_session(pool) as conn:
        rows = await repo.claim_unowned_sends(conn, lease_s=lease_s)
        if rows and not await publish(
            redis, [(SEND_OUTBOUND, [r["id"], r["workspace_id"]]) for r in rows]
        ):
            raise RuntimeError("the broker did not take the outbound messages")
    return len(rows)
