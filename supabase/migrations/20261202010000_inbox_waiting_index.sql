-- The inbox's "longest waiting" order read through an index in that order (the customers
-- still waiting first, oldest wait first), instead of sorting every conversation of the
-- workspace for each page. The expressions are those of app/conversations/repo.py.
create index conversations_waiting_idx on public.conversations (
    workspace_id,
    ((case when last_inbound_at is not null
                and (last_outbound_at is null or last_outbound_at < last_inbound_at)
           then last_inbound_at end) is null),
    (coalesce(case when last_inbound_at is not null
                        and (last_outbound_at is null or last_outbound_at < last_inbound_at)
                   then last_inbound_at end, updated_at)),
    id
);
