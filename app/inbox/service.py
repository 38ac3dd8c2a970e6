"""The staff side of a conversation: take it over from the bot, answer, hand it back.

While a person holds a conversation (owner `human`) the bot drafts nothing and any reply it had
queued is cancelled at send time. Staff replies go through the same outbox as the bot's (one row,
idempotent, sent by a worker) and Meta's windows are checked twice: here, to answer the person
at once, and again at send time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis

from app.agent import decisions_repo
from app.audit.record import record
from app.config import Settings
from app.conversations import record as conversations
from app.conversations import repo as conversations_repo
from app.db.retry import retrying_conflicts
from app.errors import Conflict, NotFound
from app.escalations import service as escalations
from app.media import service as media_service
from app.outbound import repo as outbound_repo
from app.outbound.service import NotSendable, check_eligibility
from app.queue import SEND_OUTBOUND, publish
from app.workspaces.context import WorkspaceContext


@dataclass(frozen=True)
class StaffReply:
    outbound_id: UUID
    status: str
    tag: str | None


async def _hold(conn: Any, ws: WorkspaceContext, conversation_id: UUID) -> None:
    """The caller holds the conversation: the bot stays silent in it."""
    await conversations.hand_to_staff(
        conn, conversation_id=conversation_id, assignee=ws.principal.user_id
    )


async def _conversation(conn: Any, ws: WorkspaceContext, conversation_id: UUID) -> dict[str, Any]:
    row = await conversations_repo.get_conversation(
        conn, workspace_id=ws.workspace_id, conversation_id=conversation_id, lock=True
    )
    if row is None:
        raise NotFound("conversation not found", error_code="conversation_not_found")
    return row


@dataclass(frozen=True)
class Thread:
    """A conversation as staff read it: the customer, the messages and the bot's decisions."""

    conversation: dict[str, Any]
    messages: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    unsent: list[dict[str, Any]]

    @property
    def draft(self) -> str | None:
        """What the bot would have said, when it handed the conversation to a person."""
        last = self.decisions[-1] if self.decisions else None
        if last and last["decision"] == "escalate" and self.conversation["open_escalations"]:
            return last["reply_text"]
        return None


async def read_thread(ws: WorkspaceContext, conversation_id: UUID, *, limit: int) -> Thread:
    """Opening a conversation also marks it read for the team."""
    async with ws.session() as conn:
        row = await conversations_repo.get_conversation(
            conn, workspace_id=ws.workspace_id, conversation_id=conversation_id
        )
        if row is None:
            raise NotFound("conversation not found", error_code="conversation_not_found")
        messages = await conversations_repo.messages_of(
            conn, conversation_id=conversation_id, limit=limit
        )
        decisions = await decisions_repo.decisions_of(
            conn, conversation_id=conversation_id, limit=limit
        )
        unsent = await outbound_repo.unsent_of(conn, conversation_id=conversation_id)
        if row["unread"]:
            await conversations_repo.mark_read(
                conn, workspace_id=ws.workspace_id, conversation_id=conversation_id
            )
    return Thread(conversation=row, messages=messages, decisions=decisions, unsent=unsent)


async def take_over(ws: WorkspaceContext, conversation_id: UUID) -> dict[str, Any]:
    async with ws.session() as conn:
        await _conversation(conn, ws, conversation_id)
        await _hold(conn, ws, conversation_id)
        await record(conn, ws, "conversation.take_over", "conversation", str(conversation_id))
        return await _conversation(conn, ws, conversation_id)


async def hand_back(ws: WorkspaceContext, conversation_id: UUID) -> dict[str, Any]:
    """Back to the bot; open escalations on it are resolved."""
    async with ws.session() as conn:
        await _conversation(conn, ws, conversation_id)
        resolved = await escalations.resolve_open(conn, conversation_id=conversation_id)
        await conversations.return_to_bot(conn, conversation_id=conversation_id)
        await record(
            conn,
            ws,
            "conversation.hand_back",
            "conversation",
            str(conversation_id),
            escalations_resolved=resolved,
        )
        return await _conversation(conn, ws, conversation_id)


async def reply(
    ws: WorkspaceContext,
    *,
    settings: Settings,
    redis: aioredis.Redis,
    conversation_id: UUID,
    text: str | None,
    template: dict[str, Any] | None,
    idempotency_key: str | None,
    media_id: UUID | None = None,
) -> StaffReply:
    """Queue a staff reply (text, an image of the media library, or a WhatsApp template);
    replying takes the conversation over from the bot."""
    image = await _image(ws, media_id) if media_id else None

    async def write() -> tuple[dict[str, Any], Any]:
        async with ws.session() as conn:
            conversation = await _conversation(conn, ws, conversation_id)
            if conversation["channel"] == "instagram_comment":
                raise NotSendable(
                    "answer comments from the comment itself; this endpoint sends direct messages",
                    error_code="unsupported_channel",
                )
            kind = "whatsapp" if conversation["channel"] == "whatsapp" else "dm"
            if template and kind != "whatsapp":
                raise NotSendable("templates are WhatsApp's", error_code="template_not_supported")
            if image and kind == "dm" and text:
                raise NotSendable(
                    "Instagram sends a picture without text: send the text as its own reply",
                    error_code="image_with_text",
                )
            payload: dict[str, Any] = (
                {"template": template}
                if template
                else {"text": text}
                | ({"image_url": image, "media_id": str(media_id)} if image else {})
            )
            eligibility = check_eligibility(
                kind=kind,
                sender="human",
                last_inbound_at=conversation["last_inbound_at"],
                payload=payload,
                settings=settings,
                now=datetime.now(UTC),
            )
            if eligibility.reason:
                code = "template_required" if kind == "whatsapp" else "outside_messaging_window"
                raise NotSendable(eligibility.reason, error_code=code)
            await _hold(conn, ws, conversation_id)
            row = await outbound_repo.create_outbound(
                conn,
                workspace_id=ws.workspace_id,
                conversation_id=conversation_id,
                social_account_id=conversation["social_account_id"],
                idempotency_key=f"staff:{conversation_id}:{key}",
                kind=kind,
                recipient=conversation["contact_external_id"],
                payload=payload,
                sender="human",
                # the publish below owns it; if the broker is down, Beat's requeue job sends it
                lease_s=settings.send_lease_s,
            )
            if row["created"]:
                await record(conn, ws, "conversation.reply", "outbound_message", row["id"])
        return row, eligibility

    key = idempotency_key or uuid.uuid4()
    # a worker sending the bot's message in this conversation at the same moment can deadlock
    # with this transaction; it is repeated then (the idempotency key keeps it one message)
    row, eligibility = await retrying_conflicts(write)
    if row["created"]:
        await publish(redis, [(SEND_OUTBOUND, [str(row["id"]), str(ws.workspace_id)])])
    return StaffReply(outbound_id=row["id"], status=row["status"], tag=eligibility.tag)


async def _image(ws: WorkspaceContext, media_id: UUID) -> str:
    """The public URL Meta fetches the picture from."""
    asset = (await media_service.assets(ws, [media_id])).get(media_id)
    if asset is None:
        raise NotFound("no such file in the media library", error_code="media_not_found")
    if asset["kind"] != "image":
        raise NotSendable(
            "only pictures can be sent in a chat: choose an image", error_code="media_not_image"
        )
    return str(asset["public_url"])


async def reply_to_escalation(
    ws: WorkspaceContext,
    escalation_id: UUID,
    *,
    text: str | None,
    approve_draft: bool,
    settings: Settings,
    redis: aioredis.Redis,
    idempotency_key: str | None,
) -> StaffReply:
    """Answer from the escalation: with one's own text, or the bot's draft as it is. The
    escalation is then the replier's (claimed), unless someone else had claimed it."""
    escalation = await escalations.find(ws, escalation_id)
    if escalation["status"] == "claimed" and escalation["claimed_by"] != ws.principal.user_id:
        raise Conflict(
            "someone else has claimed this escalation", error_code="escalation_not_claimable"
        )
    if approve_draft:
        if not escalation["draft_reply"]:
            raise Conflict("the bot left no draft here: write the answer", error_code="no_draft")
        text = escalation["draft_reply"]
    sent = await reply(
        ws,
        settings=settings,
        redis=redis,
        conversation_id=escalation["conversation_id"],
        text=text,
        template=None,
        idempotency_key=idempotency_key or f"escalation:{escalation_id}:{uuid.uuid4()}",
    )
    if escalation["status"] == "open":
        async with ws.session() as conn:
            await escalations.claim_if_open(conn, ws, escalation_id)
    return sent
