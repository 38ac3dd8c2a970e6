"""Beat: roll the inbox, the agent's decisions and the outbox up into `analytics_daily`.

Recomputed from the source rows for the last few days (late events and retries change them),
replacing those days in one transaction, so running it twice gives the same numbers. Each run
after the first recomputes only the workspaces that changed since the previous run began; a
full pass runs when there was no previous run (or it is older than a day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.db.session import Pool, privileged_session
from app.maintenance import job_runs

ROLLUP_JOB = "roll_up_analytics"

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


# a transaction that began before the previous run but committed after it wrote an older
# updated_at than that run's start: looking this far back catches it
_COMMIT_MARGIN = timedelta(minutes=5)
_FULL_PASS_AFTER = timedelta(days=1)


async def rollup_watermark(pool: Pool) -> datetime | None:
    """Since when the next run looks for changes; None for a full pass (no previous run, or
    one too long ago to trust)."""
    previous = await job_runs.last_finished_start(pool, ROLLUP_JOB)
    if previous is None or datetime.now(UTC) - previous > _FULL_PASS_AFTER:
        return None
    return previous - _COMMIT_MARGIN


async def roll_up_analytics(
    pool: Pool, *, days: int, since: datetime | None = None
) -> dict[str, int]:
    """Recompute the last `days` days (and today): for every workspace, or with `since` only
    for those with changes after it (a day nobody touched keeps its rows). Rows written and
    workspaces recomputed."""
    async with privileged_session(pool) as conn:
        workspaces: list[UUID] | None = None
        if since is not None:
            cur = await conn.execute(_CHANGED, {"since": since})
            workspaces = [row["id"] for row in await cur.fetchall()]
            if not workspaces:
                return {"rows": 0, "workspaces": 0}
        await conn.execute(
            "delete from public.analytics_daily where day >= current_date - %(days)s::int"
            " and (%(workspaces)s::uuid[] is null or workspace_id = any(%(workspaces)s))",
            {"days": days, "workspaces": workspaces},
        )
        cur = await conn.execute(_ROLLUP, {"days": days, "workspaces": workspaces})
        return {"rows": cur.rowcount, "workspaces": -1 if workspaces is None else len(workspaces)}
