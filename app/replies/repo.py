from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db.session import Conn


async def lock_conversation(conn: Conn, *, conversation_id: UUID | str) -> None:
    """Decisions about one conversation are written one at a time, serialised by a
    transaction-scoped advisory lock rather than the row lock, so new messages are still stored
    and staff can still take the conversation over meanwhile (the send-time check then keeps the
    bot's draft from going out). It is taken only for the short write, never while a model
    thinks."""
    await conn.execute(
        "select pg_advisory_xact_lock(hashtextextended('reply:' || %(id)s::text, 0))",
        {"id": str(conversation_id)},
    )


async def read_conversation(conn: Conn, *, conversation_id: UUID | str) -> dict[str, Any] | None:
    cur = await conn.execute(
        """
        select c.id, c.workspace_id, c.owner, c.channel, c.social_account_id, c.last_inbound_at,
               ct.external_id as contact_external_id,
               -- when a person last did something here: their last answer, or taking it over
               coalesce(c.last_outbound_at, c.updated_at) as human_active_at
          from public.conversations c join public.contacts ct on ct.id = c.contact_id
         where c.id = %(id)s
        """,
        {"id": conversation_id},
    )
    return await cur.fetchone()


async def unanswered_messages(conn: Conn, *, conversation_id: UUID | str) -> list[dict[str, Any]]:
    """Inbound messages after our (or staff's) last outbound one, oldest first."""
    cur = await conn.execute(
        """
        select id, text, attachments, sent_at from public.messages m
         where m.conversation_id = %(id)s and m.direction = 'inbound'
           and m.sent_at > coalesce((select max(sent_at) from public.messages o
                                      where o.conversation_id = %(id)s and o.direction = 'outbound'), '-infinity')
         order by m.sent_at, m.created_at
        """,
        {"id": conversation_id},
    )
    return await cur.fetchall()


async def history(
    conn: Conn, *, conversation_id: UUID | str, before: Any, limit: int
) -> list[tuple[str, str]]:
    cur = await conn.execute(
        """
        select direction, text from (
            select direction, text, sent_at from public.messages
             where conversation_id = %(id)s and sent_at < %(before)s and text is not null
             order by sent_at desc limit %(limit)s
        ) recent order by sent_at
        """,
        {"id": conversation_id, "before": before, "limit": limit},
    )
    return [
        ("customer" if r["direction"] == "inbound" else "business", r["text"])
        for r in await cur.fetchall()
    ]


async def return_idle_to_bot(
    conn: Conn, *, conversation_id: UUID | str, idle_minutes: float
) -> bool:
    """A conversation staff hold but left idle for `idle_minutes` goes back to the bot (its
    open escalations are resolved: the customer's new message starts afresh)."""
    cur = await conn.execute(
        """
        update public.conversations
           set owner = 'bot', assigned_user_id = null, updated_at = now()
         where id = %(id)s and owner = 'human'
           and coalesce(last_outbound_at, updated_at) < now() - make_interval(mins => %(idle)s::int)
        returning id
        """,
        {"id": conversation_id, "idle": int(idle_minutes)},
    )
    if await cur.fetchone() is None:
        return False
    await conn.execute(
        "update public.escalations set status = 'resolved', resolved_at = now()"
        " where conversation_id = %(id)s and status <> 'resolved'",
        {"id": conversation_id},
    )
    return True
