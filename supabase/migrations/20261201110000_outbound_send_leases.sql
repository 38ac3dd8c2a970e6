-- A send is owned by the worker that writes or claims it for a short lease (longer than one
-- Graph call). When that worker dies, between the decision and the send or in the middle of it,
-- the lease runs out within seconds and Beat's requeue job hands the send to another worker:
-- a crash costs seconds, not the old 10-minute (pending) or 2-minute (sending) thresholds.
alter table public.outbound_messages add column lease_until timestamptz;
-- what the requeue job scans: the unfinished sends
create index outbound_messages_unfinished_idx on public.outbound_messages (lease_until)
    where status in ('pending', 'sending', 'failed', 'unconfirmed');
