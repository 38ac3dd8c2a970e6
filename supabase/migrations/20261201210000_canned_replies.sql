-- Canned replies: a workspace's ready answers staff insert into a reply ("Where is my order?",
-- "Opening hours"). Managers and owners keep the list; every member reads and uses it.
create table public.canned_replies (
    id           uuid primary key default gen_random_uuid(),
    workspace_id uuid not null references public.workspaces (id) on delete cascade,
    title        text not null constraint canned_replies_title check (length(title) between 1 and 100),
    text         text not null constraint canned_replies_text check (length(text) between 1 and 1000),
    shortcut     text constraint canned_replies_shortcut check (shortcut ~ '^[a-z0-9_-]{1,30}$'),
    created_by   uuid,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint canned_replies_shortcut_key unique (workspace_id, shortcut)
);
create index canned_replies_workspace_idx on public.canned_replies (workspace_id, created_at, id);
grant select, insert, update, delete on public.canned_replies to authenticated;
grant all on public.canned_replies to service_role;
alter table public.canned_replies enable row level security;
alter table public.canned_replies force row level security;
create policy canned_replies_select on public.canned_replies for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent')));
create policy canned_replies_insert on public.canned_replies for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy canned_replies_update on public.canned_replies for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')))
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy canned_replies_delete on public.canned_replies for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
