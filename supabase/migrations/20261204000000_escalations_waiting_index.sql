-- The staff's "longest waiting" escalations read through an index in that order instead of
-- working out every open escalation's wait for each page (its cost grew with the open
-- escalations of the workspace). A conversation carries when its oldest escalation still open
-- was opened, kept by the database itself whoever writes escalations (the worker, staff, a
-- script): the list's order is that of app/escalations/repo.py, customers still waiting first
-- (oldest wait first), then the others by how long they have been with staff.
alter table public.conversations add column if not exists open_escalation_at timestamptz;

create or replace function app_private.sync_open_escalation() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    ids uuid[];
begin
    if tg_op = 'INSERT' then
        ids := array[new.conversation_id];
    elsif tg_op = 'DELETE' then
        ids := array[old.conversation_id];
    elsif (old.status <> 'resolved') = (new.status <> 'resolved')
          and old.conversation_id = new.conversation_id and old.created_at = new.created_at then
        return null;  -- claimed, unclaimed, edited: the conversation's oldest open one is the same
    else
        ids := array[new.conversation_id, old.conversation_id];
    end if;
    -- the conversation rows first: a concurrent escalation change of the same conversation
    -- waits here, and the statement below (a fresh snapshot under read committed) sees what it
    -- committed, so the last writer never computes from a stale view of the escalations
    perform 1 from public.conversations where id = any(ids) order by id for update;
    update public.conversations c
       set open_escalation_at = o.since
      from (select cid, (select min(e.created_at) from public.escalations e
                          where e.conversation_id = cid and e.status <> 'resolved') as since
              from unnest(ids) as cid) o
     where c.id = o.cid and c.open_escalation_at is distinct from o.since;
    return null;
end $$;

drop trigger if exists escalations_sync_open on public.escalations;
create trigger escalations_sync_open
    after insert or delete or update of status, conversation_id, created_at on public.escalations
    for each row execute function app_private.sync_open_escalation();

update public.conversations c
   set open_escalation_at = o.since
  from (select conversation_id, min(created_at) as since from public.escalations
         where status <> 'resolved' group by conversation_id) o
 where c.id = o.conversation_id and c.open_escalation_at is distinct from o.since;

create index if not exists conversations_open_escalation_waiting_idx on public.conversations (
    workspace_id,
    ((case when last_inbound_at is not null
                and (last_outbound_at is null or last_outbound_at < last_inbound_at)
           then last_inbound_at end) is null),
    (coalesce(case when last_inbound_at is not null
                        and (last_outbound_at is null or last_outbound_at < last_inbound_at)
                   then last_inbound_at end, open_escalation_at)),
    id
) where open_escalation_at is not null;

revoke all on function app_private.sync_open_escalation() from public;
