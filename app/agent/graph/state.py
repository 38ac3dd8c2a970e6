"""What flows through the agent graph (its state) and what each run carries beside it (its
dependencies and what the tools saw), passed in the run's config."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.message import add_messages

from app.agent.ai_settings import AiSettings
from app.agent.decisions import Decision
from app.agent.moderation import Moderator
from app.agent.tools import ToolLog
from app.config import Settings
from app.kb.embeddings import Embedder
from app.kb.service import KnowledgeReader, SearchHit


class AgentState(TypedDict, total=False):
    text: str
    channel: str
    has_attachments: bool
    history: list[tuple[str, str]]
    hits: list[SearchHit]
    messages: Annotated[list[AnyMessage], add_messages]
    rounds: int
    draft: Decision
    decision: Decision
    reasons: Annotated[list[str], operator.add]


@dataclass
class AgentDeps:
    knowledge: KnowledgeReader
    embedder: Embedder
    moderator: Moderator
    chat_model: BaseChatModel | None
    settings: Settings
    ai: AiSettings
    now: datetime | None = None


@dataclass
class Run:
    """One agent run: its dependencies, what the tools saw, the rendered prompt."""

    deps: AgentDeps
    log: ToolLog = field(default_factory=ToolLog)
    prompt_cache: dict[str, str] = field(default_factory=dict)


def run_of(config: RunnableConfig) -> Run:
    run: Run = config["configurable"]["run"]
    return run
