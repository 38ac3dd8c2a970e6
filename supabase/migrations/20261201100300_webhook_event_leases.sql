-- A worker working on an event holds a short lease it renews while it works (the model may
-- think for seconds). When its worker dies the lease runs out within seconds, and Beat's sweeper
-- hands the event to another worker: a crash costs seconds, not the old 15-minute threshold.
alter table public.webhook_events add column lease_until timestamptz;
create index webhook_events_lease_idx on public.webhook_events (lease_until)
    where status = 'processing';
