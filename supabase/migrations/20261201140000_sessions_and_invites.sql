-- Signing out and resetting a password (local accounts; Supabase Auth keeps its own). A refresh
-- token is revoked by its `jti` until it would have expired anyway; a password reset moves the
-- user to a new session epoch, and refresh tokens carry the epoch they were issued in, so every
-- earlier one is refused at once (no clock comparison between hosts).
alter table app_private.local_users add column session_epoch integer not null default 0;

create table app_private.revoked_refresh_tokens (
    jti        text primary key,
    expires_at timestamptz not null
);
create index revoked_refresh_tokens_expiry_idx on app_private.revoked_refresh_tokens (expires_at);
grant select, insert, delete on app_private.revoked_refresh_tokens to service_role;

-- Invitations: an owner invites an email address with a role; the invitee accepts with the
-- link's token once signed in with that address. Only the token's hash is stored.
create table public.workspace_invites (
    id           uuid primary key default gen_random_uuid(),
    workspace_id uuid not null references public.workspaces (id) on delete cascade,
    email        text not null,
    role         text not null constraint workspace_invites_role check (role in ('owner', 'manager', 'agent')),
    token_hash   text not null constraint workspace_invites_token_key unique,
    invited_by   uuid,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    accepted_at  timestamptz,
    accepted_by  uuid,
    revoked_at   timestamptz
);
create index workspace_invites_workspace_idx on public.workspace_invites (workspace_id, created_at desc);
grant select, insert, update, delete on public.workspace_invites to authenticated;
grant all on public.workspace_invites to service_role;
alter table public.workspace_invites enable row level security;
alter table public.workspace_invites force row level security;
create policy workspace_invites_select on public.workspace_invites for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('owner')));
create policy workspace_invites_insert on public.workspace_invites for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('owner')));
create policy workspace_invites_update on public.workspace_invites for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('owner')))
    with check (workspace_id in (select app.allowed_workspaces('owner')));
create policy workspace_invites_delete on public.workspace_invites for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('owner')));

-- Accepting happens before the invitee is a member, so no policy could let them see the invite:
-- this checks everything in one place and answers with what happened.
create or replace function app.accept_invite(p_token_hash text)
returns table (outcome text, workspace_id uuid, role text)
language plpgsql security definer set search_path = '' as $$
declare
    caller uuid := auth.uid();
    caller_email text := lower(coalesce(auth.jwt() ->> 'email', ''));
    inv public.workspace_invites%rowtype;
begin
    if caller is null then
        raise exception 'not signed in' using errcode = '42501';
    end if;
    select * into inv from public.workspace_invites i where i.token_hash = p_token_hash for update;
    if not found then
        return query select 'not_found'::text, null::uuid, null::text;
        return;
    end if;
    if inv.revoked_at is not null then
        return query select 'revoked'::text, null::uuid, null::text;
    elsif inv.accepted_at is not null then
        return query select 'used'::text, null::uuid, null::text;
    elsif inv.expires_at < now() then
        return query select 'expired'::text, null::uuid, null::text;
    elsif lower(inv.email) <> caller_email then
        return query select 'wrong_email'::text, null::uuid, null::text;
    else
        insert into public.workspace_members (workspace_id, user_id, role, email)
            values (inv.workspace_id, caller, inv.role, caller_email)
            on conflict do nothing;
        update public.workspace_invites set accepted_at = now(), accepted_by = caller
         where id = inv.id;
        insert into public.audit_log (workspace_id, actor_user_id, action, target_type, target_id, details)
            values (inv.workspace_id, caller, 'member.joined', 'user', caller::text,
                    jsonb_build_object('role', inv.role, 'invite_id', inv.id));
        return query select 'joined'::text, inv.workspace_id, inv.role;
    end if;
end
$$;
revoke all on function app.accept_invite(text) from public;
grant execute on function app.accept_invite(text) to authenticated;

-- The workspace used without X-Workspace-Id: the one the user chose, else the oldest.
alter table public.workspace_members add column is_default boolean not null default false;
create unique index workspace_members_one_default on public.workspace_members (user_id)
    where is_default;

create or replace function app.set_default_workspace(p_workspace uuid) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
    caller uuid := auth.uid();
begin
    if caller is null then
        raise exception 'not signed in' using errcode = '42501';
    end if;
    if not exists (select 1 from public.workspace_members m
                    where m.user_id = caller and m.workspace_id = p_workspace) then
        return false;
    end if;
    update public.workspace_members set is_default = false
     where user_id = caller and is_default and workspace_id <> p_workspace;
    update public.workspace_members set is_default = true
     where user_id = caller and workspace_id = p_workspace;
    return true;
end
$$;
revoke all on function app.set_default_workspace(uuid) from public;
grant execute on function app.set_default_workspace(uuid) to authenticated;
