"""The bot's settings per workspace: persona, guardrails, switches, model and embedding choice."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.agent import settings_service
from app.agent.ai_settings import DEFAULT_MAX_CHARS, AiSettings
from app.deps import CurrentWorkspace
from app.ratelimit import api_limit
from app.workspaces.context import WorkspaceContext

router = APIRouter(prefix="/api/agent/settings", tags=["agent"])

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# 24-hour HH:MM; a day that closes before it opens stays open past midnight, and one that
# closes when it opens is open all day
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=500)]


_DEFAULTS = AiSettings(workspace_id="")


class IgnoreRules(BaseModel):
    """Only the rules given change."""

    model_config = ConfigDict(extra="forbid")

    emoji_only: bool = _DEFAULTS.ignore_rules["emoji_only"]
    tags_only: bool = _DEFAULTS.ignore_rules["tags_only"]
    spam: bool = Field(
        default=_DEFAULTS.ignore_rules["spam"],
        description="hide link, follower, giveaway and crypto spam under posts",
    )
    praise: bool = Field(
        default=_DEFAULTS.ignore_rules["praise"],
        description='leave praise ("love this!") unanswered instead of thanking',
    )


class ReplyLimits(BaseModel):
    """Characters per reply, per channel, within Meta's own limits (META.md): a longer limit
    could never be sent. Only the channels given change."""

    model_config = ConfigDict(extra="forbid")

    instagram_dm: int = Field(default=DEFAULT_MAX_CHARS["instagram_dm"], ge=1, le=1000)
    instagram_comment: int = Field(default=DEFAULT_MAX_CHARS["instagram_comment"], ge=1, le=2200)
    whatsapp: int = Field(default=DEFAULT_MAX_CHARS["whatsapp"], ge=1, le=4096)


class AutoReply(BaseModel):
    """Whether the bot answers on each channel. Only the channels given change."""

    model_config = ConfigDict(extra="forbid")

    instagram_dm: bool = True
    instagram_comment: bool = True
    whatsapp: bool = True


class AiSettingsIn(BaseModel):
    """Only the fields given change. A field that can be cleared says so (`null` allowed); every
    other field refuses `null`, so a PATCH can never leave the bot with a setting it cannot read.
    Maps (`auto_reply`, `max_reply_chars`, `ignore_rules`) are merged key by key."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "persona": "the friendly assistant of Bella's Bakery",
                    "confidence_threshold": 0.75,
                    "auto_reply": {"instagram_comment": False},
                    "business_hours": {"mon": ["09:00", "18:00"], "sat": ["10:00", "14:00"]},
                }
            ]
        },
    )

    # Left out means unchanged (the defaults shown are a new workspace's); `null` is refused
    # where the type does not allow it
    chat_model: str | None = Field(
        default=None, min_length=1, max_length=200, description="null: the server's CHAT_MODEL"
    )
    temperature: float = Field(default=_DEFAULTS.temperature, ge=0, le=2)
    persona: str = Field(default=_DEFAULTS.persona, min_length=1, max_length=2000)
    tone: str = Field(default=_DEFAULTS.tone, min_length=1, max_length=200)
    confidence_threshold: float = Field(default=_DEFAULTS.confidence_threshold, ge=0, le=1)
    blocked_words: Words = Field(default_factory=lambda: list(_DEFAULTS.blocked_words))
    escalation_keywords: Words = Field(default_factory=lambda: list(_DEFAULTS.escalation_keywords))
    ignore_rules: IgnoreRules = Field(default_factory=IgnoreRules)
    auto_reply: AutoReply = Field(default_factory=AutoReply)
    comment_reply_mode: Literal["public", "private", "both", "none"] = "public"
    max_reply_chars: ReplyLimits = Field(default_factory=ReplyLimits)
    business_hours: dict[Day, tuple[HHMM, HHMM]] | None = Field(
        default=None,
        description='{"mon": ["09:00", "18:00"], "fri": ["18:00", "02:00"], ...}: opening and '
        "closing time per day; a missing day is closed; closing before opening runs past "
        "midnight; null: always open",
    )
    away_message: str | None = Field(default=None, max_length=1000)
    holding_message: str | None = Field(
        default=_DEFAULTS.holding_message,
        min_length=1,
        max_length=1000,
        description="sent to the customer when the bot hands the conversation to staff; null: off",
    )
    reply_in_customer_language: bool = _DEFAULTS.reply_in_customer_language
    embedding_provider: Literal["wordllama", "gemini", "openai"] | None = Field(
        default=None,
        description="changing it re-embeds the knowledge base in the background; "
        "null: the server's EMBEDDING_PROVIDER",
    )


class EmbeddingOut(BaseModel):
    provider: str
    model: str
    chunks_total: int
    chunks_current: int
    faq_total: int
    faq_current: int
    complete: bool


class AiSettingsOut(BaseModel):
    chat_model: str | None
    temperature: float
    persona: str
    tone: str
    confidence_threshold: float
    blocked_words: list[str]
    escalation_keywords: list[str]
    ignore_rules: dict[str, Any]
    auto_reply: dict[str, bool]
    comment_reply_mode: str
    max_reply_chars: dict[str, int]
    business_hours: dict[str, Any] | None
    away_message: str | None
    holding_message: str | None
    reply_in_customer_language: bool
    embedding_provider: str | None
    embedding: EmbeddingOut
    unreadable_fields: list[str] = Field(
        default_factory=list,
        description="stored settings the bot could not read and replaced by their defaults "
        "(PATCH them to repair)",
    )


async def _out(request: Request, ws: WorkspaceContext) -> AiSettingsOut:
    ai, status = await settings_service.read(ws, request.app.state.embedders)
    values = asdict(ai)
    values["unreadable_fields"] = list(values.pop("unreadable"))
    return AiSettingsOut(**values, embedding=EmbeddingOut(**vars(status), complete=status.complete))


@router.get("", response_model=AiSettingsOut)
@api_limit
async def get_settings(request: Request, ws: CurrentWorkspace) -> AiSettingsOut:
    """The bot's settings, and how far the knowledge base carries the current embedding model."""
    return await _out(request, ws)


@router.patch("", response_model=AiSettingsOut)
@api_limit
async def update_settings(
    request: Request, body: AiSettingsIn, ws: CurrentWorkspace
) -> AiSettingsOut:
    """Managers and owners. A new embedding provider re-embeds documents and FAQ in the
    background; `embedding` in the answer shows the progress."""
    state = request.app.state
    await settings_service.update(
        ws,
        embedders=state.embedders,
        redis=state.redis,
        changes=body.model_dump(exclude_unset=True),
    )
    return await _out(request, ws)


@router.post("/reembed", response_model=EmbeddingOut, status_code=202)
@api_limit
async def reembed(request: Request, ws: CurrentWorkspace) -> EmbeddingOut:
    """Queue a re-embedding of whatever does not carry the current model yet (idempotent)."""
    status = await settings_service.queue_reembed(
        ws, embedders=request.app.state.embedders, redis=request.app.state.redis
    )
    return EmbeddingOut(**vars(status), complete=status.complete)
