"""A workspace's AI settings (the `ai_settings` row) as a typed value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from app.db.session import Conn

DEFAULT_MAX_CHARS = {"instagram_dm": 1000, "instagram_comment": 2200, "whatsapp": 4096}


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
    ignore_rules: dict[str, Any] = field(
        default_factory=lambda: {"emoji_only": True, "tags_only": True}
    )
    auto_reply: dict[str, bool] = field(
        default_factory=lambda: {"instagram_dm": True, "instagram_comment": True, "whatsapp": True}
    )
    comment_reply_mode: str = "public"
    max_reply_chars: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_CHARS))
    business_hours: dict[str, Any] | None = None
    away_message: str | None = None
    reply_in_customer_language: bool = True
    # None: the deployment's EMBEDDING_PROVIDER
    embedding_provider: str | None = None
    timezone: str = "UTC"

    def max_chars(self, channel: str) -> int:
        return int(self.max_reply_chars.get(channel, DEFAULT_MAX_CHARS.get(channel, 1000)))


async def load_ai_settings(conn: Conn, workspace_id: UUID | str) -> AiSettings:
    cur = await conn.execute(
        """
        select s.*, w.name as business_name, w.timezone
          from public.workspaces w left join public.ai_settings s on s.workspace_id = w.id
         where w.id = %(ws)s
        """,
        {"ws": workspace_id},
    )
    row = await cur.fetchone()
    if row is None or row.get("workspace_id") is None:
        return AiSettings(
            workspace_id=str(workspace_id),
            business_name=(row or {}).get("business_name") or "our shop",
        )
    return AiSettings(
        workspace_id=str(workspace_id),
        business_name=row["business_name"],
        chat_model=row["chat_model"],
        temperature=row["temperature"],
        persona=row["persona"],
        tone=row["tone"],
        confidence_threshold=row["confidence_threshold"],
        blocked_words=tuple(row["blocked_words"] or ()),
        escalation_keywords=tuple(row["escalation_keywords"] or ()),
        ignore_rules=row["ignore_rules"] or {},
        auto_reply=row["auto_reply"] or {},
        comment_reply_mode=row["comment_reply_mode"],
        max_reply_chars={**DEFAULT_MAX_CHARS, **(row["max_reply_chars"] or {})},
        business_hours=row["business_hours"],
        away_message=row["away_message"],
        reply_in_customer_language=row["reply_in_customer_language"],
        embedding_provider=row["embedding_provider"],
        timezone=row["timezone"] or "UTC",
    )
