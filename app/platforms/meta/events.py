"""The one normalized event model every webhook (and every reconciliation poll) becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    INSTAGRAM = "instagram"
    WHATSAPP = "whatsapp"


class EventKind(StrEnum):
    IG_MESSAGE = "ig_message"
    IG_ECHO = "ig_echo"
    IG_MESSAGE_DELETED = "ig_message_deleted"
    IG_MESSAGE_EDIT = "ig_message_edit"
    IG_REACTION = "ig_reaction"
    IG_READ = "ig_read"
    IG_POSTBACK = "ig_postback"
    IG_REFERRAL = "ig_referral"
    IG_COMMENT = "ig_comment"
    IG_MENTION = "ig_mention"
    WA_MESSAGE = "wa_message"
    WA_STATUS = "wa_status"
    # a reply typed in the WhatsApp Business app on a number shared with the Cloud API
    WA_ECHO = "wa_echo"
    UNKNOWN = "unknown"


# Kinds a customer wrote, which the bot may answer
ANSWERABLE = frozenset(
    {EventKind.IG_MESSAGE, EventKind.IG_COMMENT, EventKind.IG_POSTBACK, EventKind.WA_MESSAGE}
)


@dataclass(frozen=True, slots=True)
class NormalizedEvent:
    platform: Platform
    kind: EventKind
    # Our side: the Instagram professional account id, or the WhatsApp phone number id
    account_external_id: str
    dedupe_key: str
    occurred_at: datetime | None
    # The customer (IGSID, commenter id, wa_id); None where there is none (statuses of ours)
    sender_id: str | None = None
    # The platform's id of the thing itself (mid, comment id, wamid)
    platform_id: str | None = None
    text: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    # Kind-specific normalized fields (media id, parent comment, quick-reply payload, status, ...)
    data: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return self.kind in ANSWERABLE

    def to_payload(self) -> dict[str, Any]:
        """What we store in webhook_events.payload: the normalized view and Meta's raw item."""
        return {
            "kind": self.kind.value,
            "sender_id": self.sender_id,
            "platform_id": self.platform_id,
            "text": self.text,
            "attachments": list(self.attachments),
            "data": self.data,
            "raw": self.raw,
        }


def from_millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_seconds(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_graph_time(value: Any) -> datetime | None:
    """The Graph API's ISO 8601 times (`2026-12-01T10:00:00+0000`), as webhooks never send."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


# One dedupe key per message or comment, whether a webhook or a poll saw it first
def message_key(mid: str) -> str:
    return f"ig:msg:{mid}"


def comment_key(comment_id: str) -> str:
    return f"ig:comment:{comment_id}"
