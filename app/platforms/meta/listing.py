"""Graph API listings (a conversation's messages, a post's comments) -> NormalizedEvent.

Reconciliation polls these to find what the webhooks missed; the events must be the ones the
webhook would have produced (same kind, same dedupe key), so a message seen both ways is stored
once."""

from __future__ import annotations

from typing import Any

from app.platforms.meta.events import (
    EventKind,
    NormalizedEvent,
    Platform,
    comment_key,
    from_graph_time,
    message_key,
)


def customer_message(account_ig_id: str, message: dict[str, Any]) -> NormalizedEvent | None:
    """A customer's message from `/{conversation}/messages`; None for the account's own."""
    sender = str((message.get("from") or {}).get("id", ""))
    if not sender or sender == account_ig_id:
        return None
    mid = str(message["id"])
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_MESSAGE,
        account_external_id=account_ig_id,
        dedupe_key=message_key(mid),
        occurred_at=from_graph_time(message.get("created_time")),
        sender_id=sender,
        platform_id=mid,
        text=message.get("message"),
        data={"source": "reconcile"},
        raw=message,
    )


def comment(account_ig_id: str, media_id: str, item: dict[str, Any]) -> NormalizedEvent:
    """A comment from `/{media}/comments`."""
    author = item.get("from") or {}
    cid = str(item["id"])
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_COMMENT,
        account_external_id=account_ig_id,
        dedupe_key=comment_key(cid),
        occurred_at=from_graph_time(item.get("timestamp")),
        sender_id=str(author.get("id")) if author.get("id") else None,
        platform_id=cid,
        text=item.get("text"),
        data={
            "media_id": media_id,
            "username": author.get("username") or item.get("username"),
            # our own comments and replies are listed too; they must never be answered
            "is_self": str(author.get("id")) == account_ig_id,
            "parent_id": None,
            "source": "reconcile",
        },
        raw=item,
    )


def sent_by_account(account_ig_id: str, message: dict[str, Any]) -> bool:
    return str((message.get("from") or {}).get("id")) == account_ig_id
