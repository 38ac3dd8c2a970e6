"""SQL for reading the daily roll-ups (`analytics_daily`; written by rollup.py)."""

from __future__ import annotations

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
 where m.workspace_id = %(ws)s and m.sent_at >= %(start)s and m.sent_at < %(end)s
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


async def overview(conn: Conn, *, workspace_id: UUID | str, start: Any, end: Any) -> dict[str, Any]:
    """Straight from the source rows of one workspace, for [start, end): current to the
    minute, unlike the daily roll-up."""
    params = {"ws": workspace_id, "start": start, "end": end}

    async def rows(query: str) -> list[dict[str, Any]]:
        cur = await conn.execute(query, params)
        return await cur.fetchall()

    counts = await rows(_COUNTS)
    return {
        "channels": await rows(_MESSAGES),
        "responses": await rows(_FIRST_RESPONSES),
        "decisions": await rows(_DECISIONS),
        "counts": counts[0],
        "per_agent": await rows(_PER_AGENT),
    }
