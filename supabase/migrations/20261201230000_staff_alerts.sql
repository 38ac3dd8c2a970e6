-- Email alerts for staff, each member's own choice: a new escalation, and a conversation held
-- by a person where the customer has waited longer than ALERT_WAITING_MINUTES. A member sets
-- only their own row; the alert job (privileged) reads them and records what it sent, so each
-- alert goes out once per member.
create table public.member_alert_settings (
    workspace_id    uuid not null references public.workspaces (id) on delete cascade,
    user_id         uuid not null,
    new_escalations boolean not null default false,
    waiting         boolean not null default false,
    updated_at      timestamptz not null default now(),
    primary key (workspace_id, user_id)
);
grant select, insert, update, delete on public.member_alert_settings to authenticated;
grant all on public.member_alert_settings to service_role;
alter table public.member_alert_settings enable row level security;
alter table public.member_alert_settings force row level security;
-- a member reads their own; owners and managers (and the workers) see who gets alerts
create policy member_alert_settings_select on public.member_alert_settings for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager'))
           or (workspace_id in (select app.allowed_workspaces('agent')) and user_id = (select auth.uid())));
-- everyone else writes only their own row (a worker, its workspace's)
create policy member_alert_settings_insert on public.member_alert_settings for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('agent'))
                and (user_id = (select auth.uid()) or (select auth.jwt() ->> 'role') = 'service_worker'));
create policy member_alert_settings_update on public.member_alert_settings for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent'))
           and (user_id = (select auth.uid()) or (select auth.jwt() ->> 'role') = 'service_worker'))
    with check (workspace_id in (select app.allowed_workspaces('agent'))
                and (user_id = (select auth.uid()) or (select auth.jwt() ->> 'role') = 'service_worker'));
create policy member_alert_settings_delete on public.member_alert_settings for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent'))
           and (user_id = (select auth.uid()) or (select auth.jwt() ->> 'role') = 'service_worker'));

-- what went out: (member, kind, target, the moment it is about), claimed before the email is
-- sent and stamped after; a claim never stamped (a crash) is taken again after a while
create table app_private.alerts_sent (
    workspace_id uuid not null references public.workspaces (id) on delete cascade,
    user_id      uuid not null,
    kind         text not null constraint alerts_sent_kind check (kind in ('escalation', 'waiting')),
    target_id    uuid not null,
    target_at    timestamptz not null,
    claimed_at   timestamptz not null default now(),
    sent_at      timestamptz,
    primary key (user_id, kind, target_id, target_at)
);
grant select, insert, update, delete on app_private.alerts_sent to service_role;
