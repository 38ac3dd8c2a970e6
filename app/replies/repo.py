"""The one lock a reply decision takes (no table of its own: what it writes belongs to
conversations, escalations and outbound)."""

from __future__ import annotations

from uuid import UUID

from app.db.trips import Query


def lock_conversation_query(*, conversation_id: UUID | str) -> Query:
    """Decisions about one conversation are written one at a time, serialised by a
    transaction-scoped advisory lock rather than the row lock, so new messages are still stored
    and staff can still take the conversation over meanwhile (the send-time check then keeps the
    bot's draft from going out). It is taken only for the short write, never while a model
    thinks."""
    return Query(
        "select pg_advisory_xact_lock(hashtextextended('reply:' || %(id)s::text, 0))",
        {"id": str(conversation_id)},
    )
