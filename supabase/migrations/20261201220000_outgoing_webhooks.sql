-- Outgoing webhooks: a workspace's integrations hear about what happens (a message received, an
-- escalation opened, a send that failed, a post published or failed). Each event becomes one
-- delivery per subscribed endpoint in the same transaction as the change itself (nothing is
-- lost when a process dies), and a Beat job posts the due ones, signed, with backoff.
create table public.webhook_endpoints (
    id                   uuid primary key default gen_random_uuid(),
    workspace_id         uuid not null references public.workspaces (id) on delete cascade,
    url                  text not null constraint webhook_endpoints_url check (length(url) <= 2000),
    events               text[] not null constraint webhook_endpoints_events check (cardinality(events) between 1 and 20),
    description          text constraint webhook_endpoints_description check (length(description) <= 200),
    secret_encrypted     text not null,
    enabled              boolean not null default true,
    disabled_reason      text,
    consecutive_failures integer not null default 0,
    created_by           uuid,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);
create index webhook_endpoints_workspace_idx on public.webhook_endpoints (workspace_id, created_at, id);

create table public.webhook_deliveries (
    id               uuid primary key default gen_random_uuid(),
    workspace_id     uuid not null references public.workspaces (id) on delete cascade,
    endpoint_id      uuid not null references public.webhook_endpoints (id) on delete cascade,
    -- the event's own id: one event delivered twice (a redelivery) keeps it, receivers dedupe on it
    event_id         uuid not null,
    event_type       text not null,
    payload          jsonb not null,
    status           text not null default 'pending'
        constraint webhook_deliveries_status check (status in ('pending', 'succeeded', 'failed', 'dead')),
    attempts         integer not null default 0,
    next_attempt_at  timestamptz not null default now(),
    lease_until      timestamptz,
    last_status_code integer,
    last_response    text,
    last_error       text,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz not null default now()
);
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at)
    where status in ('pending', 'failed');
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (endpoint_id, created_at desc, id desc);
create index webhook_deliveries_workspace_idx on public.webhook_deliveries (workspace_id);

grant select, insert, update, delete on public.webhook_endpoints, public.webhook_deliveries to authenticated;
grant all on public.webhook_endpoints, public.webhook_deliveries to service_role;
alter table public.webhook_endpoints enable row level security;
alter table public.webhook_endpoints force row level security;
alter table public.webhook_deliveries enable row level security;
alter table public.webhook_deliveries force row level security;
-- integrations are managers' and owners' business, from end to end
create policy webhook_endpoints_select on public.webhook_endpoints for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_endpoints_insert on public.webhook_endpoints for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_endpoints_update on public.webhook_endpoints for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')))
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_endpoints_delete on public.webhook_endpoints for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_deliveries_select on public.webhook_deliveries for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_deliveries_insert on public.webhook_deliveries for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('manager'))
                and endpoint_id in (select e.id from public.webhook_endpoints e
                                     where e.workspace_id = webhook_deliveries.workspace_id));
create policy webhook_deliveries_update on public.webhook_deliveries for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')))
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy webhook_deliveries_delete on public.webhook_deliveries for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
