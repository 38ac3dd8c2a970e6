"""Running the agent for one message, and recording why it decided what it did."""

from __future__ import annotations

import time
from datetime import datetime
from uuid import UUID

import httpx
from langchain_core.language_models import BaseChatModel

from app.agent import decisions_repo, language
from app.agent.ai_settings import AiSettings
from app.agent.decisions import Action, Decision
from app.agent.graph import AgentDeps, run_config
from app.agent.graph.drafting import with_tools
from app.agent.moderation import Moderator, profanity_scorer
from app.config import Settings
from app.db.session import Conn
from app.db.trips import Query, fetch_one
from app.kb.embeddings import EmbeddingUnavailable
from app.kb.service import KnowledgeReader
from app.logging import get_logger

log = get_logger("agent")


def create_chat_model(
    settings: Settings, ai: AiSettings, http_async_client: httpx.AsyncClient | None = None
) -> BaseChatModel | None:
    """ChatOpenAI against OpenAI, OpenRouter or any OpenAI-compatible server; None = offline."""
    model = ai.chat_model or settings.chat_model
    if not model or settings.openai_api_key is None:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        temperature=ai.temperature,
        timeout=settings.chat_timeout_s,
        max_retries=1,
        http_async_client=http_async_client,
    )


def preload_agent(settings: Settings) -> None:
    """Load at worker start-up what the first message would otherwise load on the worker's one
    event loop, where every reply in flight waits with it: language identification (about
    0.5 s) and the profanity classifier behind moderation (about 2 s) made the first customers
    after a start or a crash-restart wait 1-1.7 s longer (bench/pipeline.py's `sla` phase);
    langchain-openai's and the OpenAI SDK's lazy imports cost each first reply too."""
    language.preload()
    profanity_scorer()
    if settings.openai_api_key is None:
        return
    import langchain_openai  # noqa: F401
    import openai.resources.chat
    import openai.resources.moderations  # noqa: F401


class ChatModels:
    """The chat models of one event loop, built once per (model, temperature) and reused.

    ChatOpenAI's default async HTTP client is shared process-wide and bound to the first event
    loop that uses it, so each worker thread (own loop) brings its own client here."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._models: dict[tuple[str | None, float], BaseChatModel | None] = {}

    def for_workspace(self, ai: AiSettings) -> BaseChatModel | None:
        key = (ai.chat_model, ai.temperature)
        if key not in self._models:
            self._models[key] = create_chat_model(self._settings, ai, self._http)
        return self._models[key]

    def warm(self) -> None:
        """Build the model of workspaces that keep the defaults (the deployment's model and
        temperature) with its tools bound, now: ChatOpenAI's clients and the tools' schemas cost
        about 0.15 s of CPU, which the first reply after a worker's start would otherwise spend
        on the one event loop that every reply in flight waits on."""
        model = self.for_workspace(AiSettings(workspace_id=""))
        if model is not None:
            with_tools(model)

    async def aclose(self) -> None:
        await self._http.aclose()


async def run_agent(
    *,
    knowledge: KnowledgeReader,
    settings: Settings,
    ai: AiSettings,
    moderator: Moderator,
    chat_model: BaseChatModel | None,
    channel: str,
    text: str | None,
    has_attachments: bool = False,
    history: list[tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> Decision:
    """Holds no database connection of its own: each knowledge search takes a short session
    (KnowledgeReader), so model calls of seconds never keep a transaction open."""
    started = time.perf_counter()
    state = {
        "text": text or "",
        "channel": channel,
        "has_attachments": has_attachments,
        "history": history or [],
        "reasons": [],
    }
    try:
        graph, config = run_config(
            AgentDeps(knowledge, knowledge.embedder, moderator, chat_model, settings, ai, now)
        )
        result = await graph.ainvoke(state, config)
        decision: Decision = result["decision"]
        decision.reasons = list(result.get("reasons", []))
    except EmbeddingUnavailable as exc:
        decision = Decision(Action.ESCALATE, reasons=[f"knowledge base unavailable: {exc}"])
    except Exception as exc:
        if chat_model is None:
            raise
        # the model's provider failed: the offline responder still answers what it can
        log.warning("chat model failed; using the offline responder", error=type(exc).__name__)
        decision = await run_agent(
            knowledge=knowledge,
            settings=settings,
            ai=ai,
            moderator=moderator,
            chat_model=None,
            channel=channel,
            text=text,
            has_attachments=has_attachments,
            history=history,
            now=now,
        )
        decision.reasons.insert(
            0, f"chat model unavailable ({type(exc).__name__}): offline responder used"
        )
    decision.latency_ms = int((time.perf_counter() - started) * 1000)
    return decision


async def record_decision(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str | None,
    event_id: int | None,
    decision: Decision,
) -> UUID:
    row = await fetch_one(
        conn,
        record_decision_query(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            event_id=event_id,
            decision=decision,
        ),
    )
    assert row is not None
    return UUID(str(row["id"]))


def record_decision_query(
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str | None,
    event_id: int | None,
    decision: Decision,
    decision_id: UUID | None = None,
) -> Query:
    return decisions_repo.insert_decision_query(
        decision_id=decision_id,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        event_id=event_id,
        action=decision.action.value,
        text=decision.reply or decision.draft,
        confidence=decision.confidence,
        reasons=decision.reasons,
        citations=decision.citations,
        model=decision.model,
        prompt_tokens=decision.prompt_tokens,
        completion_tokens=decision.completion_tokens,
        latency_ms=decision.latency_ms,
    )
