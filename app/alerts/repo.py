"""SQL for staff alerts: each member's choice (their own row, RLS), and the alert job's view of
what is due across workspaces with what it already sent (privileged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.session import Conn

# a claim older than this was never stamped sent (the process died): it is taken again
_STALE_CLAIM = "interval '10 minutes'"


async def get_settings(conn: Conn, *, workspace_id: UUID, user_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select new_escalations, waiting, updated_at from public.member_alert_settings"
        " where workspace_id = %(ws)s and user_id = %(user)s",
        {"ws": workspace_id, "user": user_id},
    )
    return await cur.fetchone()


async def put_settings(
    conn: Conn, *, workspace_id: UUID, user_id: UUID, new_escalations: bool, waiting: bool
) -> dict[str, Any]:
    cur = await conn.execute(
        """
        insert into public.member_alert_settings (workspace_id, user_id, new_escalations, waiting)
        values (%(ws)s, %(user)s, %(new)s, %(waiting)s)
        on conflict (workspace_id, user_id) do update
           set new_escalations = excluded.new_escalations, waiting = excluded.waiting,
               updated_at = now()
        returning new_escalations, waiting, updated_at
        """,
        {"ws": workspace_id, "user": user_id, "new": new_escalations, "waiting": waiting},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


_NOT_SENT = f"""
   and not exists (select 1 from app_private.alerts_sent a
                    where a.user_id = s.user_id and a.kind = %(kind)s and a.target_id = t.target_id
                      and a.target_at = t.target_at
                      and (a.sent_at is not null or a.claimed_at > now() - {_STALE_CLAIM}))
"""  # noqa: S608 - constant fragments

_DUE_ESCALATIONS = f"""
select t.*, s.workspace_id, s.user_id, m.email, w.name as workspace_name
  from public.member_alert_settings s
  join public.workspace_members m on m.workspace_id = s.workspace_id and m.user_id = s.user_id
  join public.workspaces w on w.id = s.workspace_id
  join lateral (
      select e.id as target_id, e.created_at as target_at, e.reason, e.conversation_id,
             c.channel, ct.display_name as contact_name, ct.username as contact_username
        from public.escalations e
        join public.conversations c on c.id = e.conversation_id
        join public.contacts ct on ct.id = c.contact_id
       where e.workspace_id = s.workspace_id and e.status <> 'resolved'
         -- only what opened after the member asked for alerts, and within a day
         and e.created_at > greatest(now() - interval '1 day', s.updated_at)
  ) t on true
 where s.new_escalations and m.email is not null
{_NOT_SENT}
 limit %(limit)s
"""  # noqa: S608 - constant fragments

_DUE_WAITING = f"""
select t.*, s.workspace_id, s.user_id, m.email, w.name as workspace_name
  from public.member_alert_settings s
  join public.workspace_members m on m.workspace_id = s.workspace_id and m.user_id = s.user_id
  join public.workspaces w on w.id = s.workspace_id
  join lateral (
      select c.id as target_id, c.last_inbound_at as target_at, c.id as conversation_id,
             c.channel, ct.display_name as contact_name, ct.username as contact_username,
             null::text as reason
        from public.conversations c
        join public.contacts ct on ct.id = c.contact_id
       where c.workspace_id = s.workspace_id and c.owner = 'human'
         -- the member's own conversations, and those nobody holds by name
         and (c.assigned_user_id is null or c.assigned_user_id = s.user_id)
         and c.last_inbound_at is not null
         and (c.last_outbound_at is null or c.last_outbound_at < c.last_inbound_at)
         and c.last_inbound_at < now() - make_interval(mins => %(minutes)s)
         and c.last_inbound_at > now() - interval '1 day'
  ) t on true
 where s.waiting and m.email is not null
{_NOT_SENT}
 limit %(limit)s
"""  # noqa: S608 - constant fragments


async def due(conn: Conn, *, kind: str, waiting_minutes: int, limit: int) -> list[dict[str, Any]]:
    """Privileged: alerts of `kind` ('escalation' or 'waiting') not sent yet, one per member."""
    query = _DUE_ESCALATIONS if kind == "escalation" else _DUE_WAITING
    cur = await conn.execute(query, {"kind": kind, "minutes": waiting_minutes, "limit": limit})
    return await cur.fetchall()


async def claim(
    conn: Conn,
    *,
    workspace_id: UUID,
    user_id: UUID,
    kind: str,
    target_id: UUID,
    target_at: datetime,
) -> bool:
    """This run sends it (no other run has, or one that died long ago)."""
    cur = await conn.execute(
        f"""
        insert into app_private.alerts_sent (workspace_id, user_id, kind, target_id, target_at)
        values (%(ws)s, %(user)s, %(kind)s, %(target)s, %(at)s)
        on conflict (user_id, kind, target_id, target_at) do update set claimed_at = now()
         where alerts_sent.sent_at is null and alerts_sent.claimed_at < now() - {_STALE_CLAIM}
        returning 1
        """,  # noqa: S608 - constant interval
        {"ws": workspace_id, "user": user_id, "kind": kind, "target": target_id, "at": target_at},
    )
    return await cur.fetchone() is not None


async def settle(
    conn: Conn, *, user_id: UUID, kind: str, target_id: UUID, target_at: datetime, sent: bool
) -> None:
    """Stamp it sent, or give the claim back so the next run tries again."""
    key = "user_id = %(user)s and kind = %(kind)s and target_id = %(target)s and target_at = %(at)s"
    params = {"user": user_id, "kind": kind, "target": target_id, "at": target_at}
    if sent:
        await conn.execute(
            f"update app_private.alerts_sent set sent_at = now() where {key}",  # noqa: S608
            params,
        )
    else:
        await conn.execute(f"delete from app_private.alerts_sent where {key}", params)  # noqa: S608
