"""SQL for escalations: the one place that writes them (worker or staff tenant sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.conversations.repo import WAITING_SINCE
from app.db.session import Conn


async def open_escalation(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str,
    reason: str,
    draft: str | None,
    decision_id: UUID | None,
    event_id: int | None,
) -> UUID | None:
    """The new escalation's id; None when the conversation already had one open."""
    cur = await conn.execute(
        """
        insert into public.escalations (workspace_id, conversation_id, decision_id, reason, draft_reply, webhook_event_id)
        values (%(ws)s, %(conv)s, %(decision)s, %(reason)s, %(draft)s, %(event)s)
        on conflict do nothing
        returning id
        """,
        {
            "ws": workspace_id,
            "conv": conversation_id,
            "decision": decision_id,
            "reason": reason,
            "draft": draft,
            "event": event_id,
        },
    )
    created: Any = await cur.fetchone()
    return created["id"] if created else None


async def note_answered_in_app(
    conn: Conn, *, workspace_id: UUID | str, conversation_id: UUID | str, app_name: str
) -> UUID | None:
    """Someone answered from the platform's own app: the staff inbox shows the conversation as
    theirs to follow up, assigned to nobody (one open escalation at a time). The new
    escalation's id; None when one was open already."""
    cur = await conn.execute(
        """
        insert into public.escalations (workspace_id, conversation_id, reason)
        select %(ws)s, %(conv)s, %(reason)s
         where not exists (select 1 from public.escalations
                            where conversation_id = %(conv)s and status <> 'resolved')
        returning id
        """,
        {
            "ws": workspace_id,
            "conv": conversation_id,
            "reason": f"answered in the {app_name} app",
        },
    )
    created: Any = await cur.fetchone()
    return created["id"] if created else None


_ESCALATION_WAITING = f"(case when e.status <> 'resolved' then {WAITING_SINCE} end)"


_FIELDS = f"""e.id, e.conversation_id, e.reason, e.draft_reply, e.status, e.claimed_by, e.claimed_at,
       e.resolved_at, e.created_at, c.channel, {_ESCALATION_WAITING} as waiting_since,
       extract(epoch from now() - {_ESCALATION_WAITING}) as waiting_s"""
_CONTACT = """ct.username as contact_username, ct.external_id as contact_external_id,
       ct.display_name as contact_name"""

_ESCALATION = f"""
select {_FIELDS}, {_CONTACT}
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
        outer = "x.waiting_since is null, coalesce(x.waiting_since, x.created_at), x.id"
    else:
        key, compare = "(e.created_at, e.id)", "<"
        cursor_key = "(%(k0)s::timestamptz, %(k1)s::uuid)"
        order = "e.created_at desc, e.id desc"
        outer = "x.created_at desc, x.id desc"
    # the page is chosen first, its customers looked up after: sorting by waiting time reads
    # every open escalation, and only the page's need a name
    cur = await conn.execute(
        f"""
        select x.id, x.conversation_id, x.reason, x.draft_reply, x.status, x.claimed_by,
               x.claimed_at, x.resolved_at, x.created_at, x.channel, x.waiting_since, x.waiting_s,
               {_CONTACT}
          from (
            select {_FIELDS}, c.contact_id
              from public.escalations e
              join public.conversations c on c.id = e.conversation_id
             where e.workspace_id = %(ws)s and (%(status)s::text is null or e.status = %(status)s)
               and (%(channel)s::text is null or c.channel = %(channel)s)
               and (%(claimed_by)s::uuid is null or e.claimed_by = %(claimed_by)s)
               and (not %(unassigned)s or e.claimed_by is null)
               and (not %(paged)s or {key} {compare} {cursor_key})
             order by {order} limit %(limit)s
          ) x
          join public.contacts ct on ct.id = x.contact_id
         order by {outer}""",  # noqa: S608 - constant fragments
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


async def resolve_open(conn: Conn, *, conversation_id: UUID | str) -> int:
    cur = await conn.execute(
        "update public.escalations set status = 'resolved', resolved_at = now()"
        " where conversation_id = %(id)s and status <> 'resolved'",
        {"id": conversation_id},
    )
    return cur.rowcount
