"""SQL for the staff inbox: conversations, their messages and escalations (staff sessions, RLS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.db.session import Conn

# the customer's last message is not answered yet: since when they wait
_WAITING_SINCE = """(case when c.last_inbound_at is not null
              and (c.last_outbound_at is null or c.last_outbound_at < c.last_inbound_at)
        then c.last_inbound_at end)"""

_CONVERSATION = f"""
select c.id, c.channel, c.owner, c.assigned_user_id, c.status, c.last_inbound_at, c.last_outbound_at,
       c.updated_at, c.social_account_id, a.platform, ct.external_id as contact_external_id,
       ct.username as contact_username, ct.display_name as contact_name,
       ct.avatar_url as contact_picture_url, {_WAITING_SINCE} as waiting_since,
       (c.last_inbound_at is not null
        and (c.staff_read_at is null or c.staff_read_at < c.last_inbound_at)) as unread,
       (select count(*) from public.escalations e
         where e.conversation_id = c.id and e.status <> 'resolved') as open_escalations
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  join public.social_accounts a on a.id = c.social_account_id
"""  # noqa: S608 - constant fragments


async def list_conversations(
    conn: Conn,
    *,
    workspace_id: UUID,
    limit: int,
    after: Sequence[Any] | None = None,
    owner: str | None = None,
    channel: str | None = None,
    assigned_to: UUID | None = None,
    unassigned: bool = False,
    unread: bool = False,
    longest_waiting: bool = False,
) -> list[dict[str, Any]]:
    """Newest activity first, or the longest-waiting customers first (then everyone else by
    activity). `after` is the previous page's last sort key (see `conversation_sort_key`)."""
    if longest_waiting:
        # (not waiting, since when, id): waiting ones first, the oldest wait first
        key = f"({_WAITING_SINCE} is null, coalesce({_WAITING_SINCE}, c.updated_at), c.id)"
        compare, cursor_key = ">", "(%(k0)s::boolean, %(k1)s::timestamptz, %(k2)s::uuid)"
        order = f"{_WAITING_SINCE} is null, coalesce({_WAITING_SINCE}, c.updated_at), c.id"
    else:
        key, compare = "(c.updated_at, c.id)", "<"
        cursor_key = "(%(k0)s::timestamptz, %(k1)s::uuid)"
        order = "c.updated_at desc, c.id desc"
    where = f"""
         where c.workspace_id = %(ws)s
           and (%(owner)s::text is null or c.owner = %(owner)s)
           and (%(channel)s::text is null or c.channel = %(channel)s)
           and (%(assigned)s::uuid is null or c.assigned_user_id = %(assigned)s)
           and (not %(unassigned)s or (c.owner = 'human' and c.assigned_user_id is null))
           and (not %(unread)s or (c.last_inbound_at is not null
                and (c.staff_read_at is null or c.staff_read_at < c.last_inbound_at)))
           and (not %(paged)s or {key} {compare} {cursor_key})
    """
    keys = {f"k{i}": v for i, v in enumerate(after or ())}
    cur = await conn.execute(
        _CONVERSATION + where + f" order by {order} limit %(limit)s",
        {
            "ws": workspace_id,
            "owner": owner,
            "channel": channel,
            "assigned": assigned_to,
            "unassigned": unassigned,
            "unread": unread,
            "paged": after is not None,
            "limit": limit,
            "k0": None,
            "k1": None,
            "k2": None,
            **keys,
        },
    )
    return await cur.fetchall()


def conversation_sort_key(row: dict[str, Any], *, longest_waiting: bool) -> tuple[Any, ...]:
    if longest_waiting:
        waiting = row["waiting_since"]
        return (waiting is None, waiting or row["updated_at"], row["id"])
    return (row["updated_at"], row["id"])


async def mark_read(conn: Conn, *, workspace_id: UUID, conversation_id: UUID) -> bool:
    cur = await conn.execute(
        "update public.conversations set staff_read_at = now()"
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": conversation_id},
    )
    return cur.rowcount > 0


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


_ESCALATION_WAITING = f"(case when e.status <> 'resolved' then {_WAITING_SINCE} end)"

_ESCALATION = f"""
select e.id, e.conversation_id, e.reason, e.draft_reply, e.status, e.claimed_by, e.claimed_at,
       e.resolved_at, e.created_at, c.channel, ct.username as contact_username,
       ct.external_id as contact_external_id, ct.display_name as contact_name,
       {_ESCALATION_WAITING} as waiting_since,
       extract(epoch from now() - {_ESCALATION_WAITING}) as waiting_s
  from public.escalations e
  join public.conversations c on c.id = e.conversation_id
  join public.contacts ct on ct.id = c.contact_id
"""  # noqa: S608 - constant fragments


async def list_escalations(
    conn: Conn,
    *,
    workspace_id: UUID,
    status: str | None,
    limit: int,
    after: Sequence[Any] | None = None,
    channel: str | None = None,
    claimed_by: UUID | None = None,
    unassigned: bool = False,
    longest_waiting: bool = False,
) -> list[dict[str, Any]]:
    """Newest first, or the longest-waiting customers first; `after` as `escalation_sort_key`."""
    if longest_waiting:
        key = (
            f"({_ESCALATION_WAITING} is null, coalesce({_ESCALATION_WAITING}, e.created_at), e.id)"
        )
        compare, cursor_key = ">", "(%(k0)s::boolean, %(k1)s::timestamptz, %(k2)s::uuid)"
        order = (
            f"{_ESCALATION_WAITING} is null, coalesce({_ESCALATION_WAITING}, e.created_at), e.id"
        )
    else:
        key, compare = "(e.created_at, e.id)", "<"
        cursor_key = "(%(k0)s::timestamptz, %(k1)s::uuid)"
        order = "e.created_at desc, e.id desc"
    cur = await conn.execute(
        _ESCALATION
        + f"""
         where e.workspace_id = %(ws)s and (%(status)s::text is null or e.status = %(status)s)
           and (%(channel)s::text is null or c.channel = %(channel)s)
           and (%(claimed_by)s::uuid is null or e.claimed_by = %(claimed_by)s)
           and (not %(unassigned)s or e.claimed_by is null)
           and (not %(paged)s or {key} {compare} {cursor_key})
         order by {order} limit %(limit)s""",
        {
            "ws": workspace_id,
            "status": status,
            "limit": limit,
            "channel": channel,
            "claimed_by": claimed_by,
            "unassigned": unassigned,
            "paged": after is not None,
            "k0": None,
            "k1": None,
            "k2": None,
            **{f"k{i}": v for i, v in enumerate(after or ())},
        },
    )
    return await cur.fetchall()


def escalation_sort_key(row: dict[str, Any], *, longest_waiting: bool) -> tuple[Any, ...]:
    if longest_waiting:
        waiting = row["waiting_since"]
        return (waiting is None, waiting or row["created_at"], row["id"])
    return (row["created_at"], row["id"])


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
