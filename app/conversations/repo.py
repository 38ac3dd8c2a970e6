"""SQL for the staff inbox: conversations, their messages and escalations (staff sessions, RLS)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db.session import Conn

_CONVERSATION = """
select c.id, c.channel, c.owner, c.assigned_user_id, c.status, c.last_inbound_at, c.last_outbound_at,
       c.updated_at, c.social_account_id, a.platform, ct.external_id as contact_external_id,
       ct.username as contact_username, ct.display_name as contact_name,
       ct.avatar_url as contact_picture_url,
       (select count(*) from public.escalations e
         where e.conversation_id = c.id and e.status <> 'resolved') as open_escalations
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  join public.social_accounts a on a.id = c.social_account_id
"""


async def list_conversations(
    conn: Conn, *, workspace_id: UUID, owner: str | None, limit: int
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        _CONVERSATION
        + " where c.workspace_id = %(ws)s and (%(owner)s::text is null or c.owner = %(owner)s)"
        " order by c.updated_at desc limit %(limit)s",
        {"ws": workspace_id, "owner": owner, "limit": limit},
    )
    return await cur.fetchall()


async def get_conversation(
    conn: Conn, *, workspace_id: UUID, conversation_id: UUID, lock: bool = False
) -> dict[str, Any] | None:
    cur = await conn.execute(
        _CONVERSATION
        + " where c.workspace_id = %(ws)s and c.id = %(id)s"
        + (" for update of c" if lock else ""),
        {"ws": workspace_id, "id": conversation_id},
    )
    return await cur.fetchone()


async def messages_of(conn: Conn, *, conversation_id: UUID, limit: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        select * from (
            select id, direction, sender, text, attachments, sent_at
              from public.messages where conversation_id = %(id)s
             order by sent_at desc limit %(limit)s
        ) m order by sent_at
        """,
        {"id": conversation_id, "limit": limit},
    )
    return await cur.fetchall()


async def set_owner(
    conn: Conn, *, conversation_id: UUID, owner: str, assigned_user_id: UUID | None
) -> None:
    await conn.execute(
        "update public.conversations set owner = %(owner)s, assigned_user_id = %(user)s, updated_at = now()"
        " where id = %(id)s",
        {"id": conversation_id, "owner": owner, "user": assigned_user_id},
    )


_ESCALATION = """
select e.id, e.conversation_id, e.reason, e.draft_reply, e.status, e.claimed_by, e.claimed_at,
       e.resolved_at, e.created_at, c.channel, ct.username as contact_username,
       ct.external_id as contact_external_id, ct.display_name as contact_name,
       -- how long the customer has waited: since their last message, when nobody answered it
       case when e.status <> 'resolved' and c.last_inbound_at is not null
                 and (c.last_outbound_at is null or c.last_outbound_at < c.last_inbound_at)
            then extract(epoch from now() - c.last_inbound_at) end as waiting_s
  from public.escalations e
  join public.conversations c on c.id = e.conversation_id
  join public.contacts ct on ct.id = c.contact_id
"""


async def list_escalations(
    conn: Conn,
    *,
    workspace_id: UUID,
    status: str | None,
    limit: int,
    channel: str | None = None,
    claimed_by: UUID | None = None,
    unassigned: bool = False,
    longest_waiting: bool = False,
) -> list[dict[str, Any]]:
    order = "waiting_s desc nulls last, e.created_at" if longest_waiting else "e.created_at desc"
    cur = await conn.execute(
        _ESCALATION
        + """
         where e.workspace_id = %(ws)s and (%(status)s::text is null or e.status = %(status)s)
           and (%(channel)s::text is null or c.channel = %(channel)s)
           and (%(claimed_by)s::uuid is null or e.claimed_by = %(claimed_by)s)
           and (not %(unassigned)s or e.claimed_by is null)
         order by """
        + order
        + " limit %(limit)s",
        {
            "ws": workspace_id,
            "status": status,
            "limit": limit,
            "channel": channel,
            "claimed_by": claimed_by,
            "unassigned": unassigned,
        },
    )
    return await cur.fetchall()


async def get_escalation(
    conn: Conn, *, workspace_id: UUID, escalation_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        _ESCALATION + " where e.workspace_id = %(ws)s and e.id = %(id)s",
        {"ws": workspace_id, "id": escalation_id},
    )
    return await cur.fetchone()


async def claim_escalation(
    conn: Conn, *, workspace_id: UUID, escalation_id: UUID, user_id: UUID
) -> dict[str, Any] | None:
    """Open -> claimed by this user; a claim by someone else already stands (None)."""
    cur = await conn.execute(
        """
        update public.escalations set status = 'claimed', claimed_by = %(user)s, claimed_at = now()
         where workspace_id = %(ws)s and id = %(id)s
           and (status = 'open' or (status = 'claimed' and claimed_by = %(user)s))
        returning id, conversation_id, status, claimed_by, claimed_at
        """,
        {"ws": workspace_id, "id": escalation_id, "user": user_id},
    )
    return await cur.fetchone()


async def escalation_exists(
    conn: Conn, *, workspace_id: UUID, escalation_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, conversation_id, status, claimed_by from public.escalations"
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": escalation_id},
    )
    return await cur.fetchone()


async def resolve_escalation(conn: Conn, *, escalation_id: UUID) -> None:
    await conn.execute(
        "update public.escalations set status = 'resolved', resolved_at = coalesce(resolved_at, now())"
        " where id = %(id)s",
        {"id": escalation_id},
    )


async def resolve_escalations(conn: Conn, *, conversation_id: UUID) -> int:
    cur = await conn.execute(
        "update public.escalations set status = 'resolved', resolved_at = now()"
        " where conversation_id = %(id)s and status <> 'resolved'",
        {"id": conversation_id},
    )
    return cur.rowcount
