"""SQL for the daily roll-ups (`analytics_daily`): computing them from the source rows (for
rollup.py) and reading them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.session import Conn


async def daily_rows(conn: Conn, *, workspace_id: UUID | str, days: int) -> list[dict[str, Any]]:
    """Per day and channel for the last `days` days, newest first."""
    cur = await conn.execute(
        """
        select day, channel, messages_in, messages_out, auto_replied, escalated, ignored, hidden,
               median_response_ms, recovered
          from public.analytics_daily
         where workspace_id = %(ws)s and day >= current_date - %(days)s::int
         order by day desc, channel
        """,
        {"ws": workspace_id, "days": days},
    )
    return await cur.fetchall()


# ---------------------------------------------------------------- the live overview

_MESSAGES = """
select c.channel,
       count(*) filter (where m.direction = 'inbound') as messages_in,
       count(*) filter (where m.direction = 'outbound') as messages_out,
       count(*) filter (where m.direction = 'outbound' and m.sender = 'bot') as auto_replied
  from public.messages m
  join public.conversations c on c.id = m.conversation_id
 -- said for the conversations too: otherwise every tenant's are read to join against
 where m.workspace_id = %(ws)s and c.workspace_id = %(ws)s
   and m.sent_at >= %(start)s and m.sent_at < %(end)s
 group by c.channel
"""

# each customer message, and the first answer after it in its conversation: by whom, how fast
_FIRST_RESPONSES = """
select r.sender, extract(epoch from r.sent_at - m.sent_at) * 1000 as ms
  from public.messages m
  cross join lateral (
      select o.sender, o.sent_at from public.messages o
       where o.conversation_id = m.conversation_id and o.direction = 'outbound'
         and o.sent_at >= m.sent_at
       order by o.sent_at limit 1
  ) r
 where m.workspace_id = %(ws)s and m.direction = 'inbound'
   and m.sent_at >= %(start)s and m.sent_at < %(end)s
"""

_DECISIONS = """
select d.decision, count(*) as n from public.ai_decisions d
 where d.workspace_id = %(ws)s and d.created_at >= %(start)s and d.created_at < %(end)s
 group by d.decision
"""

_COUNTS = """
select
  (select count(*) from public.escalations e
    where e.workspace_id = %(ws)s and e.created_at >= %(start)s and e.created_at < %(end)s)
    as escalations,
  (select count(*) from public.comments k
    where k.workspace_id = %(ws)s and k.hidden and k.commented_at >= %(start)s
      and k.commented_at < %(end)s) as comments_hidden,
  (select count(*) from public.scheduled_posts p
    where p.workspace_id = %(ws)s and p.status = 'published' and p.published_at >= %(start)s
      and p.published_at < %(end)s) as posts_published,
  (select count(*) from public.scheduled_posts p
    where p.workspace_id = %(ws)s and p.status = 'failed' and p.updated_at >= %(start)s
      and p.updated_at < %(end)s) as posts_failed,
  (select count(*) from public.decision_feedback f
    where f.workspace_id = %(ws)s and f.verdict = 'good' and f.updated_at >= %(start)s
      and f.updated_at < %(end)s) as answers_good,
  (select count(*) from public.decision_feedback f
    where f.workspace_id = %(ws)s and f.verdict = 'wrong' and f.updated_at >= %(start)s
      and f.updated_at < %(end)s) as answers_wrong
"""

# staff replies sent through us, by the person (the audit log names who queued each)
_PER_AGENT = """
select a.actor_user_id as user_id, count(*) as replies
  from public.audit_log a
 where a.workspace_id = %(ws)s and a.action = 'conversation.reply'
   and a.created_at >= %(start)s and a.created_at < %(end)s and a.actor_user_id is not null
 group by a.actor_user_id
 order by replies desc
"""


async def message_figures(
    conn: Conn, *, workspace_id: UUID | str, start: Any, end: Any
) -> dict[str, Any]:
    """Messages per channel and every first response in [start, end), from the source rows:
    the costly part of the overview (it reads every message of the range)."""
    params = {"ws": workspace_id, "start": start, "end": end}
    channels = await conn.execute(_MESSAGES, params)
    channel_rows = await channels.fetchall()
    responses = await conn.execute(_FIRST_RESPONSES, params)
    return {
        "channels": channel_rows,
        "responses": [
            {"sender": r["sender"], "ms": float(r["ms"])} for r in await responses.fetchall()
        ],
    }


async def activity_figures(
    conn: Conn, *, workspace_id: UUID | str, start: Any, end: Any
) -> dict[str, Any]:
    """The bot's decisions, escalations, comments hidden, posts, staff's verdicts and replies in
    [start, end): cheap counts over indexed rows."""
    params = {"ws": workspace_id, "start": start, "end": end}

    async def rows(query: str) -> list[dict[str, Any]]:
        cur = await conn.execute(query, params)
        return await cur.fetchall()

    counts = await rows(_COUNTS)
    return {
        "decisions": await rows(_DECISIONS),
        "counts": counts[0],
        "per_agent": await rows(_PER_AGENT),
    }


# Per (workspace, UTC day, channel). Response time: from each inbound message or comment to the
# first reply after it in the same conversation (or the comment's reply), answered ones only.
_ROLLUP = """
with window_days as (
    select (current_date - %(days)s::int) as first_day
), inbound as (
    select m.workspace_id, (m.sent_at at time zone 'UTC')::date as day, c.channel,
           extract(epoch from (
               select min(r.sent_at) from public.messages r
                where r.conversation_id = m.conversation_id and r.direction = 'outbound'
                  and r.sent_at >= m.sent_at
           ) - m.sent_at) * 1000 as response_ms
      from public.messages m
      join public.conversations c on c.id = m.conversation_id
     where m.direction = 'inbound' and m.sent_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or m.workspace_id = any(%(workspaces)s))
    union all
    select k.workspace_id, (k.commented_at at time zone 'UTC')::date, 'instagram_comment',
           extract(epoch from (least(k.replied_at, k.private_replied_at) - k.commented_at)) * 1000
      from public.comments k
     where k.commented_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or k.workspace_id = any(%(workspaces)s))
), outgoing as (
    select o.workspace_id, (o.sent_at at time zone 'UTC')::date as day,
           coalesce(c.channel, case when o.kind in ('comment_reply', 'private_reply') then 'instagram_comment' end) as channel,
           o.sender
      from public.outbound_messages o
      left join public.conversations c on c.id = o.conversation_id
     where o.status = 'sent' and o.kind <> 'hide_comment'
       and o.sent_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or o.workspace_id = any(%(workspaces)s))
    union all
    -- replies staff sent from the Instagram or WhatsApp app (not through us)
    select m.workspace_id, (m.sent_at at time zone 'UTC')::date, c.channel, 'human'
      from public.messages m
      join public.conversations c on c.id = m.conversation_id
     where m.direction = 'outbound' and m.sender = 'human'
       and m.sent_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or m.workspace_id = any(%(workspaces)s))
       and not exists (select 1 from public.outbound_messages o
                        where o.workspace_id = m.workspace_id and o.platform_message_id = m.platform_message_id)
), decided as (
    select d.workspace_id, (d.created_at at time zone 'UTC')::date as day, c.channel, d.decision
      from public.ai_decisions d
      join public.conversations c on c.id = d.conversation_id
     where d.created_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or d.workspace_id = any(%(workspaces)s))
), escalated as (
    select e.workspace_id, (e.created_at at time zone 'UTC')::date as day, c.channel
      from public.escalations e
      join public.conversations c on c.id = e.conversation_id
     where e.created_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or e.workspace_id = any(%(workspaces)s))
), recovered as (
    select w.workspace_id, (w.received_at at time zone 'UTC')::date as day,
           case w.kind when 'ig_comment' then 'instagram_comment' else 'instagram_dm' end as channel
      from public.webhook_events w
     where w.payload->'data'->>'source' = 'reconcile' and w.workspace_id is not null
       and w.received_at >= (select first_day from window_days)
       and (%(workspaces)s::uuid[] is null or w.workspace_id = any(%(workspaces)s))
), inbound_by as (
    select workspace_id, day, channel, count(*) as n,
           percentile_cont(0.5) within group (order by response_ms) as median_ms
      from inbound group by workspace_id, day, channel
), outgoing_by as (
    select workspace_id, day, channel, count(*) as n, count(*) filter (where sender = 'bot') as bot
      from outgoing where channel is not null group by workspace_id, day, channel
), decided_by as (
    select workspace_id, day, channel, count(*) filter (where decision = 'ignore') as ignored,
           count(*) filter (where decision = 'hide') as hidden
      from decided group by workspace_id, day, channel
), escalated_by as (
    select workspace_id, day, channel, count(*) as n from escalated group by workspace_id, day, channel
), recovered_by as (
    select workspace_id, day, channel, count(*) as n from recovered group by workspace_id, day, channel
), keys as (
    select workspace_id, day, channel from inbound_by
    union select workspace_id, day, channel from outgoing_by
    union select workspace_id, day, channel from decided_by
    union select workspace_id, day, channel from escalated_by
    union select workspace_id, day, channel from recovered_by
)
insert into public.analytics_daily
    (workspace_id, day, channel, messages_in, messages_out, auto_replied, escalated, ignored, hidden,
     median_response_ms, recovered)
select k.workspace_id, k.day, k.channel, coalesce(i.n, 0), coalesce(o.n, 0), coalesce(o.bot, 0),
       coalesce(e.n, 0), coalesce(d.ignored, 0), coalesce(d.hidden, 0), i.median_ms::integer,
       coalesce(r.n, 0)
  from keys k
  left join inbound_by i using (workspace_id, day, channel)
  left join outgoing_by o using (workspace_id, day, channel)
  left join decided_by d using (workspace_id, day, channel)
  left join escalated_by e using (workspace_id, day, channel)
  left join recovered_by r using (workspace_id, day, channel)
"""


# Workspaces with anything new since a time: every message, reply, escalation or comment
# touches its conversation's updated_at (read per workspace through its own index).
_CHANGED = """
select w.id from public.workspaces w
 where exists (select 1 from public.conversations c
                where c.workspace_id = w.id and c.updated_at >= %(since)s)
"""


async def changed_workspaces(conn: Conn, *, since: datetime) -> list[UUID]:
    cur = await conn.execute(_CHANGED, {"since": since})
    return [row["id"] for row in await cur.fetchall()]


async def replace_days(conn: Conn, *, days: int, workspaces: list[UUID] | None) -> int:
    """The last `days` days (and today) recomputed, for `workspaces` or all; rows written."""
    await conn.execute(
        "delete from public.analytics_daily where day >= current_date - %(days)s::int"
        " and (%(workspaces)s::uuid[] is null or workspace_id = any(%(workspaces)s))",
        {"days": days, "workspaces": workspaces},
    )
    cur = await conn.execute(_ROLLUP, {"days": days, "workspaces": workspaces})
    return cur.rowcount
