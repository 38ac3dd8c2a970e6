-- Row Level Security for every tenant table, through one helper: app.allowed_workspaces(min_role).
-- A session sees a workspace when its JWT user is a member with at least min_role, or when its
-- claims are scoped to that workspace by our workers ({"role": "service_worker",
-- "workspace_id": ...}); Supabase Auth never issues that role, so no user token can claim it.

create or replace function app_private.role_rank(member_role text) returns integer
language sql immutable set search_path = '' as $$
    select case member_role when 'owner' then 3 when 'manager' then 2 when 'agent' then 1 else 0 end
$$;

create or replace function app.allowed_workspaces(min_role text default 'agent') returns setof uuid
language sql stable security definer set search_path = '' as $$
    select m.workspace_id
      from public.workspace_members m
     where m.user_id = (select auth.uid())
       and app_private.role_rank(m.role) >= app_private.role_rank(min_role)
    union all
    select (j.claims ->> 'workspace_id')::uuid
      from (select auth.jwt() as claims) j
     where j.claims ->> 'role' = 'service_worker'
       and j.claims ? 'workspace_id'
$$;

-- Creating a workspace makes the caller its owner in one step (the membership policy would
-- otherwise ask for ownership of a workspace that does not exist yet).
create or replace function app.create_workspace(workspace_name text) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
    caller uuid := auth.uid();
    new_id uuid;
begin
    if caller is null then
        raise exception 'not signed in' using errcode = '42501';
    end if;
    insert into public.workspaces (name) values (workspace_name) returning id into new_id;
    insert into public.workspace_members (workspace_id, user_id, role, email)
        values (new_id, caller, 'owner', auth.jwt() ->> 'email');
    insert into public.ai_settings (workspace_id) values (new_id);
    return new_id;
end
$$;

revoke all on function app_private.role_rank(text) from public;
revoke all on function app.allowed_workspaces(text) from public;
revoke all on function app.create_workspace(text) from public;
grant usage on schema app to authenticated, service_role;
grant execute on function app.allowed_workspaces(text) to authenticated, service_role;
grant execute on function app.create_workspace(text) to authenticated;

-- Grants come before policies: Supabase grants everything on new public tables to anon and
-- authenticated by default. Clients get only what they need; policies narrow it to rows.
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
grant usage on schema public to authenticated, service_role;
grant select, insert, update, delete on all tables in schema public to authenticated;
grant usage, select on all sequences in schema public to authenticated;
grant all on all tables in schema public to service_role;
grant usage, select on all sequences in schema public to service_role;
revoke all on schema app_private from public;
grant usage on schema app_private to service_role;
grant select, insert, update, delete on app_private.local_users to service_role;

alter table public.workspaces enable row level security;
alter table public.workspaces force row level security;
create policy workspaces_select on public.workspaces for select to authenticated
    using (id in (select app.allowed_workspaces('agent')));
create policy workspaces_update on public.workspaces for update to authenticated
    using (id in (select app.allowed_workspaces('owner')))
    with check (id in (select app.allowed_workspaces('owner')));
create policy workspaces_delete on public.workspaces for delete to authenticated
    using (id in (select app.allowed_workspaces('owner')));

-- (table, role to read, role to insert, role to update, role to delete); null = nobody.
do $$
declare
    spec record;
begin
    for spec in
        select * from (values
            ('workspace_members', 'agent', 'owner',   'owner',   'owner'),
            ('social_accounts',   'agent', 'manager', 'manager', 'manager'),
            ('contacts',          'agent', 'agent',   'agent',   'manager'),
            ('conversations',     'agent', 'agent',   'agent',   'manager'),
            ('messages',          'agent', 'agent',   'agent',   'manager'),
            ('posts',             'agent', 'manager', 'manager', 'manager'),
            ('comments',          'agent', 'agent',   'agent',   'manager'),
            ('scheduled_posts',   'agent', 'manager', 'manager', 'manager'),
            ('ai_settings',       'agent', 'manager', 'manager', 'owner'),
            ('ai_decisions',      'agent', 'agent',   'owner',   'owner'),
            ('escalations',       'agent', 'agent',   'agent',   'manager'),
            ('kb_documents',      'agent', 'manager', 'manager', 'manager'),
            ('kb_chunks',         'agent', 'manager', 'manager', 'manager'),
            ('faq',               'agent', 'manager', 'manager', 'manager'),
            ('webhook_events',    'agent', 'owner',   'owner',   'owner'),
            ('outbound_messages', 'agent', 'agent',   'agent',   'owner'),
            ('analytics_daily',   'agent', 'owner',   'owner',   'owner'),
            ('audit_log',         'agent', 'agent',   null,      null)
        ) as t(tbl, read_role, insert_role, update_role, delete_role)
    loop
        execute format('alter table public.%I enable row level security', spec.tbl);
        execute format('alter table public.%I force row level security', spec.tbl);
        execute format(
            'create policy %I on public.%I for select to authenticated '
            'using (workspace_id in (select app.allowed_workspaces(%L)))',
            spec.tbl || '_select', spec.tbl, spec.read_role);
        if spec.insert_role is not null then
            execute format(
                'create policy %I on public.%I for insert to authenticated '
                'with check (workspace_id in (select app.allowed_workspaces(%L)))',
                spec.tbl || '_insert', spec.tbl, spec.insert_role);
        end if;
        if spec.update_role is not null then
            execute format(
                'create policy %I on public.%I for update to authenticated '
                'using (workspace_id in (select app.allowed_workspaces(%L))) '
                'with check (workspace_id in (select app.allowed_workspaces(%L)))',
                spec.tbl || '_update', spec.tbl, spec.update_role, spec.update_role);
        end if;
        if spec.delete_role is not null then
            execute format(
                'create policy %I on public.%I for delete to authenticated '
                'using (workspace_id in (select app.allowed_workspaces(%L)))',
                spec.tbl || '_delete', spec.tbl, spec.delete_role);
        end if;
    end loop;
end
$$;
