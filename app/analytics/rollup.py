"""Beat: roll the inbox, the agent's decisions and the outbox up into `analytics_daily`.

Recomputed from the source rows for the last few days (late events and retries change them),
replacing those days in one transaction, so running it twice gives the same numbers."""

from __future__ import annotations

from app.db.session import Pool, privileged_session

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
    union all
    select k.workspace_id, (k.commented_at at time zone 'UTC')::date, 'instagram_comment',
           extract(epoch from (least(k.replied_at, k.private_replied_at) - k.commented_at)) * 1000
      from public.comments k
     where k.commented_at >= (select first_day from window_days)
), outgoing as (
    select o.workspace_id, (o.sent_at at time zone 'UTC')::date as day,
           coalesce(c.channel, case when o.kind in ('comment_reply', 'private_reply') then 'instagram_comment' end) as channel,
           o.sender
      from public.outbound_messages o
      left join public.conversations c on c.id = o.conversation_id
     where o.status = 'sent' and o.kind <> 'hide_comment'
       and o.sent_at >= (select first_day from window_days)
    union all
    -- replies staff sent from the Instagram or WhatsApp app (not through us)
    select m.workspace_id, (m.sent_at at time zone 'UTC')::date, c.channel, 'human'
      from public.messages m
      join public.conversations c on c.id = m.conversation_id
     where m.direction = 'outbound' and m.sender = 'human'
       and m.sent_at >= (select first_day from window_days)
       and not exists (select 1 from public.outbound_messages o
                        where o.workspace_id = m.workspace_id and o.platform_message_id = m.platform_message_id)
), decided as (
    select d.workspace_id, (d.created_at at time zone 'UTC')::date as day, c.channel, d.decision
      from public.ai_decisions d
      join public.conversations c on c.id = d.conversation_id
     where d.created_at >= (select first_day from window_days)
), escalated as (
    select e.workspace_id, (e.created_at at time zone 'UTC')::date as day, c.channel
      from public.escalations e
      join public.conversations c on c.id = e.conversation_id
     where e.created_at >= (select first_day from window_days)
), recovered as (
    select w.workspace_id, (w.received_at at time zone 'UTC')::date as day,
           case w.kind when 'ig_comment' then 'instagram_comment' else 'instagram_dm' end as channel
      from public.webhook_events w
     where w.payload->'data'->>'source' = 'reconcile' and w.workspace_id is not null
       and w.received_at >= (select first_day from window_days)
), keys as (
    select workspace_id, day, channel from inbound
    union select workspace_id, day, channel from outgoing where channel is not null
    union select workspace_id, day, channel from decided
    union select workspace_id, day, channel from escalated
    union select workspace_id, day, channel from recovered
)
insert into public.analytics_daily
    (workspace_id, day, channel, messages_in, messages_out, auto_replied, escalated, ignored, hidden,
     median_response_ms, recovered)
select k.workspace_id, k.day, k.channel,
       (select count(*) from inbound i where (i.workspace_id, i.day, i.channel) = (k.workspace_id, k.day, k.channel)),
       (select count(*) from outgoing o where (o.workspace_id, o.day, o.channel) = (k.workspace_id, k.day, k.channel)),
       (select count(*) from outgoing o where (o.workspace_id, o.day, o.channel) = (k.workspace_id, k.day, k.channel)
                                          and o.sender = 'bot'),
       (select count(*) from escalated e where (e.workspace_id, e.day, e.channel) = (k.workspace_id, k.day, k.channel)),
       (select count(*) from decided d where (d.workspace_id, d.day, d.channel) = (k.workspace_id, k.day, k.channel)
                                         and d.decision = 'ignore'),
       (select count(*) from decided d where (d.workspace_id, d.day, d.channel) = (k.workspace_id, k.day, k.channel)
                                         and d.decision = 'hide'),
       (select percentile_cont(0.5) within group (order by i.response_ms)
          from inbound i where (i.workspace_id, i.day, i.channel) = (k.workspace_id, k.day, k.channel)
                           and i.response_ms is not null)::integer,
       (select count(*) from recovered r where (r.workspace_id, r.day, r.channel) = (k.workspace_id, k.day, k.channel))
  from keys k
"""


async def roll_up_analytics(pool: Pool, *, days: int) -> int:
    """Recompute the last `days` days (and today) for every workspace; returns the rows written."""
    async with privileged_session(pool) as conn:
        await conn.execute(
            "delete from public.analytics_daily where day >= current_date - %(days)s::int",
            {"days": days},
        )
        cur = await conn.execute(_ROLLUP, {"days": days})
        return cur.rowcount
