"""What the agent decided, and why, in a form anyone can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    RESPOND = "respond"
    IGNORE = "ignore"
    HIDE = "hide"
    ESCALATE = "escalate"


@dataclass
class Decision:
    action: Action
    reply: str | None = None
    confidence: float | None = None
    reasons: list[str] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    draft: str | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    # the text the offline responder took its reply from (an FAQ entry, a passage): its
    # language is the reply's, even when the reply itself is a name and a price
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.action.value,
            "reply": self.reply,
            "confidence": self.confidence,
            "reasons": self.reasons,
            "citations": self.citations,
            "draft": self.draft,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": self.latency_ms,
        }
