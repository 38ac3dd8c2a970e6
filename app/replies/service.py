"""Deciding what to do about a customer's messages, once.

DMs and WhatsApp: shortly after a message the run collects every unanswered message, runs the
agent once with no connection held, waits out what is left of the burst window, and writes the
reply row keyed by the newest message under the conversation's lock (an advisory lock,
replies.repo.lock_conversation), after checking that nothing changed meanwhile: duplicates and
redeliveries find that key and add nothing, a newer message supersedes the run. Comments: one
decision per comment. Held-by-human conversations and channels with auto-reply off are
skipped."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from langchain_core.language_models import BaseChatModel

from app.agent import settings_repo
from app.agent.ai_settings import AiSettings, ai_settings_from, load_ai_settings
from app.agent.decisions import Action, Decision
from app.agent.moderation import Moderator
from app.agent.responder import holding_reply
from app.agent.service import ChatModels, record_decision, record_decision_query, run_agent
from app.config import Settings
from app.conversations import record as conversations
from app.conversations import repo as conversations_repo
from app.db.session import Claims, Conn, Pool, tenant_session
from app.db.trips import Query, Trip, one_trip, run, tenant_trip
from app.escalations import service as escalations
from app.ingest.service import InboundItem, leased
from app.kb.embeddings import Embedders
from app.kb.service import KnowledgeReader
from app.logging import get_logger
from app.outbound import repo as outbound_repo
from app.replies import repo
from app.webhooks import repo as events_repo

log = get_logger("replies")


@dataclass(frozen=True)
class AgentKit:
    settings: Settings
    embedders: Embedders
    moderator: Moderator
    chat_models: ChatModels

    def chat_model(self, ai: AiSettings) -> BaseChatModel | None:
        return self.chat_models.for_workspace(ai)


@dataclass(frozen=True)
class Planned:
    status: str
    outbound_ids: list[str]


@dataclass(frozen=True)
class ReplyContext:
    """What the agent needs about a conversation, read in one short transaction."""

    conversation: dict[str, Any]
    ai: AiSettings
    text: str
    has_attachments: bool
    history: list[tuple[str, str]]
    # time.monotonic() at which the burst window after the newest message has passed
    window_ends: float


async def _decide(
    pool: Pool,
    kit: AgentKit,
    ai: AiSettings,
    *,
    workspace_id: str,
    channel: str,
    text: str,
    has_attachments: bool,
    history: list[tuple[str, str]],
) -> Decision:
    embedder = kit.embedders.get(ai.embedding_provider)
    return await run_agent(
        knowledge=KnowledgeReader(pool, Claims.for_worker(workspace_id), embedder, workspace_id),
        settings=kit.settings,
        ai=ai,
        moderator=kit.moderator,
        chat_model=kit.chat_model(ai),
        channel=channel,
        text=text,
        has_attachments=has_attachments,
        history=history,
    )


async def plan_conversation_reply(
    pool: Pool,
    kit: AgentKit,
    *,
    workspace_id: str,
    conversation_id: str,
    message_id: str,
    event_id: int | None = None,
) -> Planned:
    """Decide once for the conversation's unanswered messages, in three steps: read what the
    agent needs (a short transaction), run the agent holding no connection (a model may take
    seconds), then write the decision in a second short transaction that first checks, under
    the conversation's lock, that nothing changed meanwhile (a newer message, a staff take-over,
    auto-reply switched off, another worker's decision): if something did, this run stands down
    and never sends a stale draft. The triggering event is finished with the decision; before
    that nothing is finished, so a crash leaves it to the sweeper. The agent runs at once and
    the write waits for what is left of the burst window after the newest message, so the
    model's time counts toward the window. Each transaction goes to the database in one or two
    messages (app/db/trips.py), so none waits idle on a busy worker."""
    claims = Claims.for_worker(workspace_id)
    context = await _reply_context(
        pool,
        kit,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        message_id=message_id,
        event_id=event_id,
    )
    if isinstance(context, Planned):
        if event_id is not None:
            await one_trip(pool, claims, *_finish_queries(event_id))
        return context
    async with leased(
        pool, event_id=event_id, workspace_id=workspace_id, lease_s=kit.settings.event_lease_s
    ):
        decision = await _decide(
            pool,
            kit,
            context.ai,
            workspace_id=workspace_id,
            channel=context.conversation["channel"],
            text=context.text,
            has_attachments=context.has_attachments,
            history=context.history,
        )
        # a message arriving until then supersedes this draft (the write below checks)
        await asyncio.sleep(max(0.0, context.window_ends - time.monotonic()))
    # worked out before the transaction: telling the customer's language is CPU work (and
    # loads its model the first time), never to be done holding the conversation's lock
    holding = holding_reply(context.ai.holding_message, context.text or "")
    async with tenant_trip(pool, claims) as trip:
        rows = await trip.send(
            repo.lock_conversation_query(conversation_id=conversation_id),
            *_state_queries(workspace_id, conversation_id, message_id),
        )
        # staff taking over meanwhile does not stop the write: the reply row is written and
        # the send-time check cancels it and hands the draft to staff in an escalation
        current = _judge(rows[1:], workspace_id, message_id, human_blocks=False)
        if isinstance(current, Planned):
            await trip.send(*_finish_queries(event_id), commit=True)
            return current
        return await _record_reply(
            trip,
            workspace_id=workspace_id,
            conversation=context.conversation,
            message_id=message_id,
            event_id=event_id,
            decision=decision,
            send_lease_s=kit.settings.send_lease_s,
            holding_message=holding,
        )


BOT_FAILED = "the bot could not answer this message ({error}); please answer the customer"


async def hand_over_after_failure(
    pool: Pool, *, workspace_id: str, conversation_id: str, event_id: int | None, error: str
) -> None:
    """Deciding a reply failed for good: the customer is never left unanswered, staff get the
    conversation with the reason, and the event is closed as failed (not swept again)."""
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        await escalations.open_escalation(
            conn,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            reason=BOT_FAILED.format(error=error[:300]),
            draft=None,
            decision_id=None,
            event_id=event_id,
        )
        if event_id is not None:
            await events_repo.set_event_status(
                conn, event_id=event_id, status="failed", error=error[:2000]
            )
    log.error("reply failed; handed to staff", conversation_id=conversation_id, error=error)


async def _finish(conn: Conn, event_id: int | None) -> None:
    for query in _finish_queries(event_id):
        await run(conn, query)


def _finish_queries(event_id: int | None) -> list[Query]:
    if event_id is None:
        return []
    return [events_repo.set_event_status_query(event_id=event_id, status="done")]


@dataclass(frozen=True)
class Current:
    """The conversation still waits for the bot's answer to `message_id`."""

    conversation: dict[str, Any]
    ai: AiSettings
    unanswered: list[dict[str, Any]]


HELD_BY_HUMAN = "held by a human"


def _state_queries(workspace_id: str, conversation_id: str, message_id: str) -> list[Query]:
    """What `_judge` reads, none depending on another's answer: sent in one message."""
    return [
        conversations_repo.read_conversation_query(conversation_id=conversation_id),
        settings_repo.settings_row_query(workspace_id),
        conversations_repo.unanswered_messages_query(conversation_id=conversation_id),
        outbound_repo.find_by_key_query(idempotency_key=_reply_key(conversation_id, message_id)),
    ]


def _judge(
    rows: list[list[dict[str, Any]]], workspace_id: str, message_id: str, *, human_blocks: bool
) -> Current | Planned:
    """What a decision for `message_id` needs, or why none should be made now, from the rows
    of `_state_queries`."""
    conversations_rows, settings_rows, unanswered, existing_rows = rows[:4]
    if not conversations_rows:
        return Planned("missing", [])
    conversation = conversations_rows[0]
    if human_blocks and conversation["owner"] == "human":
        return Planned(HELD_BY_HUMAN, [])
    ai = ai_settings_from(workspace_id, settings_rows[0] if settings_rows else None)
    if not ai.auto_reply.get(conversation["channel"], True):
        return Planned("auto-reply off for this channel", [])
    if not unanswered:
        return Planned("already answered", [])
    if str(unanswered[-1]["id"]) != message_id:
        # the newer message's own run answers all of them
        return Planned("superseded by a newer message", [])
    if existing_rows:
        # an earlier run decided (and maybe crashed before sending): send that reply
        existing = existing_rows[0]
        return Planned(
            "reply queued earlier",
            [str(existing["id"])] if existing["status"] in ("pending", "failed") else [],
        )
    return Current(conversation, ai, unanswered)


def _reply_key(conversation_id: str, message_id: str) -> str:
    return f"reply:{conversation_id}:{message_id}"


async def _reply_context(
    pool: Pool,
    kit: AgentKit,
    *,
    workspace_id: str,
    conversation_id: str,
    message_id: str,
    event_id: int | None,
) -> ReplyContext | Planned:
    """Everything the agent needs, in one message and one transaction; the event's lease is
    renewed in it (this run holds the event from here: a retry may come late)."""
    claims = Claims.for_worker(workspace_id)
    queries = [
        *_state_queries(workspace_id, conversation_id, message_id),
        conversations_repo.history_query(
            conversation_id=conversation_id, limit=kit.settings.history_messages
        ),
    ]
    if event_id is not None:
        queries.append(
            events_repo.renew_lease_query(event_id=event_id, lease_s=kit.settings.event_lease_s)
        )
    for _ in range(2):
        async with tenant_trip(pool, claims) as trip:
            rows = await trip.send(*queries, commit=True)
        current = _judge(rows, workspace_id, message_id, human_blocks=True)
        if isinstance(current, Current):
            break
        if current.status != HELD_BY_HUMAN or not await _return_idle_to_bot(
            pool, kit, claims, conversation_id
        ):
            return current
    else:
        return Planned(HELD_BY_HUMAN, [])
    unanswered = current.unanswered
    age_s = float(unanswered[-1]["age_s"] or 0.0)
    return ReplyContext(
        conversation=current.conversation,
        ai=current.ai,
        text="\n".join(m["text"] for m in unanswered if m["text"]),
        has_attachments=any(m["attachments"] for m in unanswered),
        history=conversations_repo.history(rows[4]),
        window_ends=time.monotonic() + max(0.0, kit.settings.reply_burst_window_s - age_s),
    )


async def _return_idle_to_bot(
    pool: Pool, kit: AgentKit, claims: Claims, conversation_id: str
) -> bool:
    """Staff who took a conversation and went quiet must not leave the customer waiting."""
    minutes = kit.settings.human_idle_return_minutes
    if not minutes:
        return False
    async with tenant_session(pool, claims) as conn:
        if not await conversations.return_idle_to_bot(
            conn, conversation_id=conversation_id, idle_minutes=minutes
        ):
            return False
        await escalations.resolve_open(conn, conversation_id=conversation_id)
    return True


async def _record_reply(
    trip: Trip,
    *,
    workspace_id: str,
    conversation: dict[str, Any],
    message_id: str,
    event_id: int | None,
    decision: Decision,
    send_lease_s: float,
    holding_message: str | None = None,
) -> Planned:
    """Writes the decision and what follows from it, and finishes the event: a reply in one
    message with the commit, an escalation in a few."""
    conversation_id = str(conversation["id"])
    kind = "whatsapp" if conversation["channel"] == "whatsapp" else "dm"
    if decision.action == Action.RESPOND and decision.reply:
        decision_id = uuid4()
        rows = await trip.send(
            record_decision_query(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                event_id=event_id,
                decision=decision,
                decision_id=decision_id,
            ),
            outbound_repo.create_outbound_query(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                social_account_id=conversation["social_account_id"],
                idempotency_key=_reply_key(conversation_id, message_id),
                kind=kind,
                recipient=conversation["contact_external_id"],
                payload={"text": decision.reply},
                decision_id=decision_id,
                lease_s=send_lease_s,
            ),
            *_finish_queries(event_id),
            commit=True,
        )
        row = rows[1][0]
        return Planned(
            "reply queued", [str(row["id"])] if row["status"] in ("pending", "failed") else []
        )
    conn = trip.conn
    decision_id = await record_decision(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        event_id=event_id,
        decision=decision,
    )
    await _finish(conn, event_id)
    if decision.action not in (Action.ESCALATE, Action.HIDE):
        return Planned("ignored", [])
    escalation_id = await escalations.open_escalation(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        reason="; ".join(decision.reasons[-2:]) or "escalated",
        draft=decision.draft,
        decision_id=decision_id,
        event_id=event_id,
    )
    if escalation_id is None or not holding_message:
        return Planned("escalated", [])
    # the customer hears that a person will answer: once per escalation, exactly once
    held = await outbound_repo.create_outbound(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        social_account_id=conversation["social_account_id"],
        idempotency_key=f"holding:{escalation_id}",
        kind=kind,
        recipient=conversation["contact_external_id"],
        payload={"text": holding_message, "holding": True},
        decision_id=decision_id,
        lease_s=send_lease_s,
    )
    return Planned(
        "escalated", [str(held["id"])] if held["status"] in ("pending", "failed") else []
    )


async def plan_comment_reply(pool: Pool, kit: AgentKit, item: InboundItem) -> Planned:
    """Decide what to do with a comment and write it with the event's end, in one transaction:
    a crash before it leaves the event to the sweeper, after it nothing is decided twice."""
    workspace_id = str(item.workspace_id)
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        ai = await load_ai_settings(conn, workspace_id)
        if not ai.auto_reply.get("instagram_comment", True):
            await _finish(conn, item.event_id)
            return Planned("auto-reply off for comments", [])
    # no connection is held while the agent runs (see plan_conversation_reply)
    async with leased(
        pool, event_id=item.event_id, workspace_id=workspace_id, lease_s=kit.settings.event_lease_s
    ):
        decision = await _decide(
            pool,
            kit,
            ai,
            workspace_id=workspace_id,
            channel="instagram_comment",
            text=item.text or "",
            has_attachments=False,
            history=[],
        )
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        await _finish(conn, item.event_id)
        decision_id = await record_decision(
            conn,
            workspace_id=workspace_id,
            conversation_id=item.conversation_id,
            event_id=item.event_id,
            decision=decision,
        )
        comment_id = item.platform_id
        planned: list[dict[str, Any]] = []
        if decision.action == Action.RESPOND and decision.reply:
            # replies attach to the top-level comment (META.md)
            target = item.data.get("parent_id") or comment_id
            if ai.comment_reply_mode in ("public", "both"):
                planned.append(
                    {
                        "key": f"comment:{comment_id}:public",
                        "kind": "comment_reply",
                        "recipient": target,
                    }
                )
            if ai.comment_reply_mode in ("private", "both"):
                planned.append(
                    {
                        "key": f"comment:{comment_id}:private",
                        "kind": "private_reply",
                        "recipient": comment_id,
                    }
                )
        elif decision.action == Action.HIDE:
            planned.append(
                {
                    "key": f"comment:{comment_id}:hide",
                    "kind": "hide_comment",
                    "recipient": comment_id,
                }
            )
        elif decision.action == Action.ESCALATE:
            await escalations.open_escalation(
                conn,
                workspace_id=workspace_id,
                conversation_id=item.conversation_id,
                reason="; ".join(decision.reasons[-2:]) or "escalated",
                draft=decision.draft,
                decision_id=decision_id,
                event_id=item.event_id,
            )
        ids = []
        for plan in planned:
            row = await outbound_repo.create_outbound(
                conn,
                workspace_id=workspace_id,
                conversation_id=item.conversation_id,
                social_account_id=item.social_account_id,
                idempotency_key=plan["key"],
                kind=plan["kind"],
                recipient=plan["recipient"],
                decision_id=decision_id,
                lease_s=kit.settings.send_lease_s,
                payload={
                    "text": decision.reply,
                    "commented_at": (item.occurred_at or datetime.now(UTC)).isoformat(),
                },
            )
            if row["status"] in ("pending", "failed"):
                ids.append(str(row["id"]))
    return Planned(decision.action.value, ids)
