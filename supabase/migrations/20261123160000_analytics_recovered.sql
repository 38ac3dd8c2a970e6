-- Messages and comments the webhooks missed and the reconciliation polls found, per day and
-- channel: the gaps made visible.
alter table public.analytics_daily add column recovered integer not null default 0;
