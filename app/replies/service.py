"""Deciding what to do about a customer's messages, once.

DMs and WhatsApp: the decision waits out a short burst window, then takes the conversation's lock
(an advisory lock, see replies.repo.lock_conversation), collects every unanswered message, runs the agent once and writes the reply row keyed by
the newest message: duplicates and redeliveries find that key and add nothing. Comments: one
decision per comment. Held-by-human conversations and channels with auto-reply off are skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.agent.ai_settings import AiSettings, load_ai_settings
from app.agent.decisions import Action, Decision
from app.agent.moderation import Moderator
from app.agent.service import ChatModels, create_chat_model, record_decision, run_agent
from app.config import Settings
from app.db.session import Claims, Conn, Pool, tenant_session
from app.inbox import repo as inbox_repo
from app.inbox.service import InboundItem
from app.kb.embeddings import Embedders
from app.logging import get_logger
from app.outbound import repo as outbound_repo
from app.replies import repo

log = get_logger("replies")


@dataclass(frozen=True)
class AgentKit:
    settings: Settings
    embedders: Embedders
    moderator: Moderator
    chat_models: ChatModels | None = None

    def chat_model(self, ai: AiSettings) -> BaseChatModel | None:
        if self.chat_models is not None:
            return self.chat_models.for_workspace(ai)
        return create_chat_model(self.settings, ai)


@dataclass(frozen=True)
class Planned:
    status: str
    outbound_ids: list[str]


async def _decide(
    conn: Conn,
    kit: AgentKit,
    ai: AiSettings,
    *,
    channel: str,
    text: str,
    has_attachments: bool,
    history: list[tuple[str, str]],
) -> Decision:
    return await run_agent(
        conn=conn,
        settings=kit.settings,
        ai=ai,
        embedder=kit.embedders.get(ai.embedding_provider),
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
    """Decide once for the conversation's unanswered messages. The triggering event is finished
    in the same transaction as the decision and the reply row: from then on the reply row is the
    durable record (Beat re-sends a pending or stale one), and before it nothing is finished."""
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        planned = await _plan_conversation_reply(
            conn,
            kit,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            message_id=message_id,
            event_id=event_id,
        )
        if event_id is not None:
            await inbox_repo.set_event_status(conn, event_id=event_id, status="done")
    return planned


async def _plan_conversation_reply(
    conn: Conn,
    kit: AgentKit,
    *,
    workspace_id: str,
    conversation_id: str,
    message_id: str,
    event_id: int | None,
) -> Planned:
    conversation = await repo.lock_conversation(conn, conversation_id=conversation_id)
    if conversation is None:
        return Planned("missing", [])
    if conversation["owner"] == "human":
        return Planned("held by a human", [])
    ai = await load_ai_settings(conn, workspace_id)
    if not ai.auto_reply.get(conversation["channel"], True):
        return Planned("auto-reply off for this channel", [])
    unanswered = await repo.unanswered_messages(conn, conversation_id=conversation_id)
    if not unanswered:
        return Planned("already answered", [])
    if str(unanswered[-1]["id"]) != message_id:
        return Planned("superseded by a newer message", [])
    key = f"reply:{conversation_id}:{message_id}"
    existing = await outbound_repo.find_by_key(conn, idempotency_key=key)
    if existing is not None:
        # an earlier run decided and crashed before sending: send that reply, decide nothing new
        return Planned(
            "reply queued earlier",
            [str(existing["id"])] if existing["status"] in ("pending", "failed") else [],
        )
    text = "\n".join(m["text"] for m in unanswered if m["text"])
    history = await repo.history(
        conn,
        conversation_id=conversation_id,
        before=unanswered[0]["sent_at"],
        limit=kit.settings.history_messages,
    )
    decision = await _decide(
        conn,
        kit,
        ai,
        channel=conversation["channel"],
        text=text,
        has_attachments=any(m["attachments"] for m in unanswered),
        history=history,
    )
    decision_id = await record_decision(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        event_id=event_id,
        decision=decision,
    )
    if decision.action == Action.RESPOND and decision.reply:
        kind = "whatsapp" if conversation["channel"] == "whatsapp" else "dm"
        row = await outbound_repo.create_outbound(
            conn,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            social_account_id=conversation["social_account_id"],
            idempotency_key=key,
            kind=kind,
            recipient=conversation["contact_external_id"],
            payload={"text": decision.reply},
            decision_id=decision_id,
        )
        return Planned(
            "reply queued", [str(row["id"])] if row["status"] in ("pending", "failed") else []
        )
    if decision.action in (Action.ESCALATE, Action.HIDE):
        await outbound_repo.open_escalation(
            conn,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            reason="; ".join(decision.reasons[-2:]) or "escalated",
            draft=decision.draft,
            decision_id=decision_id,
            event_id=event_id,
        )
        return Planned("escalated", [])
    return Planned("ignored", [])


async def plan_comment_reply(pool: Pool, kit: AgentKit, item: InboundItem) -> Planned:
    workspace_id = str(item.workspace_id)
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        ai = await load_ai_settings(conn, workspace_id)
        if not ai.auto_reply.get("instagram_comment", True):
            return Planned("auto-reply off for comments", [])
        decision = await _decide(
            conn,
            kit,
            ai,
            channel="instagram_comment",
            text=item.text or "",
            has_attachments=False,
            history=[],
        )
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
            await outbound_repo.open_escalation(
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
                payload={
                    "text": decision.reply,
                    "commented_at": (item.occurred_at or datetime.now(UTC)).isoformat(),
                },
            )
            if row["status"] in ("pending", "failed"):
                ids.append(str(row["id"]))
    return Planned(decision.action.value, ids)
