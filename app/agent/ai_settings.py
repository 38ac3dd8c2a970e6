"""A workspace's AI settings (the `ai_settings` row) as a typed value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from app.agent import settings_repo
from app.db.session import Conn
from app.logging import get_logger

log = get_logger("agent.settings")

DEFAULT_MAX_CHARS = {"instagram_dm": 1000, "instagram_comment": 2200, "whatsapp": 4096}


DEFAULT_HOLDING_MESSAGE = (
    "Thanks for your message! A person from our team will answer you here soon."
)


@dataclass(frozen=True)
class AiSettings:
    workspace_id: str
    business_name: str = "our shop"
    chat_model: str | None = None
    temperature: float = 0.3
    persona: str = "a friendly, concise assistant for the business"
    tone: str = "friendly"
    confidence_threshold: float = 0.7
    blocked_words: tuple[str, ...] = ()
    escalation_keywords: tuple[str, ...] = ("human", "agent", "refund", "urgent")
    # true: emoji-only and tags-only messages ignored, spam comments hidden, praise unanswered
    ignore_rules: dict[str, Any] = field(
        default_factory=lambda: {
            "emoji_only": True,
            "tags_only": True,
            "spam": True,
            "praise": False,
        }
    )
    auto_reply: dict[str, bool] = field(
        default_factory=lambda: {"instagram_dm": True, "instagram_comment": True, "whatsapp": True}
    )
    comment_reply_mode: str = "public"
    max_reply_chars: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_CHARS))
    business_hours: dict[str, Any] | None = None
    away_message: str | None = None
    # sent to the customer when the bot escalates; None: off
    holding_message: str | None = DEFAULT_HOLDING_MESSAGE
    reply_in_customer_language: bool = True
    # None: the deployment's EMBEDDING_PROVIDER
    embedding_provider: str | None = None
    timezone: str = "UTC"
    # stored settings that could not be read and were replaced by their defaults
    unreadable: tuple[str, ...] = ()

    def max_chars(self, channel: str) -> int:
        return int(self.max_reply_chars.get(channel, DEFAULT_MAX_CHARS.get(channel, 1000)))


async def load_ai_settings(conn: Conn, workspace_id: UUID | str) -> AiSettings:
    return ai_settings_from(workspace_id, await settings_repo.settings_row(conn, workspace_id))


def ai_settings_from(workspace_id: UUID | str, row: dict[str, Any] | None) -> AiSettings:
    """The settings from a `settings_repo.settings_row_query` row (None: no workspace)."""
    if row is None or row.get("workspace_id") is None:
        return AiSettings(
            workspace_id=str(workspace_id),
            business_name=(row or {}).get("business_name") or "our shop",
        )
    return settings_from_row(str(workspace_id), row)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any, low: float, high: float) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
    return float(value) if ok else None


def _words(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple) and all(isinstance(w, str) for w in value):
        return tuple(value)
    return None


def _flags(value: Any) -> dict[str, bool] | None:
    if isinstance(value, dict) and all(isinstance(v, bool) for v in value.values()):
        return dict(value)
    return None


def _limits(value: Any) -> dict[str, int] | None:
    if isinstance(value, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value.values()
    ):
        return {**DEFAULT_MAX_CHARS, **value}
    return None


def _hours(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and all(
        isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(t, str) for t in v)
        for v in value.values()
    ):
        return value
    return None


_MODES = ("public", "private", "both", "none")
_DEFAULTS = AiSettings(workspace_id="")
# column -> (reader returning None for a value it cannot use, may the column be null)
_READERS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "chat_model": (_text, True),
    "temperature": (lambda v: _number(v, 0, 2), False),
    "persona": (_text, False),
    "tone": (_text, False),
    "confidence_threshold": (lambda v: _number(v, 0, 1), False),
    "blocked_words": (_words, False),
    "escalation_keywords": (_words, False),
    "ignore_rules": (_flags, False),
    "auto_reply": (_flags, False),
    "comment_reply_mode": (lambda v: v if v in _MODES else None, False),
    "max_reply_chars": (_limits, False),
    "business_hours": (_hours, True),
    "away_message": (_text, True),
    "holding_message": (_text, True),
    "reply_in_customer_language": (lambda v: v if isinstance(v, bool) else None, False),
    "embedding_provider": (_text, True),
}


def settings_from_row(workspace_id: str, row: dict[str, Any]) -> AiSettings:
    """A stored value the bot cannot use (written by an older version, or by hand) falls back to
    its default and is named in `unreadable`, so one bad setting never stops the replies."""
    values: dict[str, Any] = {}
    unreadable: list[str] = []
    for column, (read, nullable) in _READERS.items():
        raw = row.get(column)
        if raw is None and nullable:
            values[column] = None
            continue
        value = read(raw)
        if value is None:
            unreadable.append(column)
        else:
            values[column] = value
    if unreadable:
        log.warning("unreadable ai settings", workspace_id=workspace_id, fields=unreadable)
    # a map stored before one of its keys existed (the spam rule, a new channel) reads with that
    # key's default, so what staff are shown is what the bot does
    for column in ("ignore_rules", "auto_reply", "max_reply_chars"):
        if column in values:
            values[column] = {**getattr(_DEFAULTS, column), **values[column]}
    return AiSettings(
        workspace_id=workspace_id,
        business_name=row.get("business_name") or "our shop",
        timezone=row.get("timezone") or "UTC",
        unreadable=tuple(unreadable),
        **values,
    )
