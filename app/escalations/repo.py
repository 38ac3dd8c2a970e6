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


# The longest-waiting order: customers still waiting first, oldest wait first, then the others
# by how long their conversation has been with staff (its oldest escalation still open; a
# resolved one's own time), then conversation and escalation. Unresolved escalations are read
# in this order through conversations_open_escalation_waiting_idx, whose expressions these are
# (the trigger of its migration keeps conversations.open_escalation_at).
_OPEN_SINCE = f"coalesce({WAITING_SINCE}, c.open_escalation_at)"
_SORT_SINCE = (
    f"coalesce({_ESCALATION_WAITING},"
    " case when e.status <> 'resolved' then c.open_escalation_at end, e.created_at)"
)
_ASSIGNEE = """(%(claimed_by)s::uuid is null or e.claimed_by = %(claimed_by)s)
               and (not %(unassigned)s or e.claimed_by is null)"""
_WAITING_CURSOR = "(%(k0)s::boolean, %(k1)s::timestamptz, %(k2)s::uuid, %(k3)s::uuid)"
_WAITING_OUTER = "x.waiting_since is null, x.sort_since, x.conversation_id, x.id"


def _page_query(*, longest_waiting: bool, status: str | None) -> tuple[str, str]:
    """The page's rows (in order, limited) and the order to keep once their customers are
    joined."""
    if longest_waiting and status is not None and status != "resolved":
        # in the conversations' index order, each one's escalations looked up as it comes (the
        # `offset 0` keeps the planner from making it a join that reads them all first): a page
        # reads about its own rows, however many are open
        order = f"({WAITING_SINCE} is null), {_OPEN_SINCE}, c.id, e.id"
        return (
            f"""select {_FIELDS}, {_OPEN_SINCE} as sort_since, c.contact_id
              from public.conversations c
             cross join lateral (
                   select * from public.escalations e
                    where e.conversation_id = c.id and e.status = %(status)s and {_ASSIGNEE}
                   offset 0) e
             where c.workspace_id = %(ws)s and c.open_escalation_at is not null
               and (%(channel)s::text is null or c.channel = %(channel)s)
               and (not %(paged)s or ({order}) > {_WAITING_CURSOR})
             order by {order} limit %(limit)s""",  # noqa: S608 - constant fragments
            _WAITING_OUTER,
        )
    if longest_waiting:
        order = f"{_ESCALATION_WAITING} is null, {_SORT_SINCE}, e.conversation_id, e.id"
        sort_since, cursor, outer = _SORT_SINCE, f"({order}) > {_WAITING_CURSOR}", _WAITING_OUTER
    else:
        order, sort_since = "e.created_at desc, e.id desc", "e.created_at"
        cursor = "(e.created_at, e.id) < (%(k0)s::timestamptz, %(k1)s::uuid)"
        outer = "x.created_at desc, x.id desc"
    return (
        f"""select {_FIELDS}, {sort_since} as sort_since, c.contact_id
              from public.escalations e
              join public.conversations c on c.id = e.conversation_id
             where e.workspace_id = %(ws)s and (%(status)s::text is null or e.status = %(status)s)
               and (%(channel)s::text is null or c.channel = %(channel)s)
               and {_ASSIGNEE}
               and (not %(paged)s or {cursor})
             order by {order} limit %(limit)s""",  # noqa: S608 - constant fragments
        outer,
    )


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
    page, outer = _page_query(longest_waiting=longest_waiting, status=status)
    # the page is chosen first, its customers looked up after: only the page's need a name
    cur = await conn.execute(
        f"""
        select x.id, x.conversation_id, x.reason, x.draft_reply, x.status, x.claimed_by,
               x.claimed_at, x.resolved_at, x.created_at, x.channel, x.waiting_since, x.waiting_s,
               x.sort_since, {_CONTACT}
          from ({page}) x
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
            **{f"k{i}": None for i in range(4)},
            **{f"k{i}": v for i, v in enumerate(after or ())},
        },
    )
    return await cur.fetchall()


def escalation_sort_key(row: dict[str, Any], *, longest_waiting: bool) -> tuple[Any, ...]:
    if longest_waiting:
        return (row["waiting_since"] is None, row["sort_since"], row["conversation_id"], row["id"])
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
