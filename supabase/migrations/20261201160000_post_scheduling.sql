-- Scheduling posts from the API: drafts, what each media item is (a URL, or a file of the
-- media library), reels' cover and share-to-feed. Meta's raw error stays in last_error (for
-- support); the API explains it in words from there.
alter table public.scheduled_posts drop constraint scheduled_posts_status;
alter table public.scheduled_posts add constraint scheduled_posts_status
    check (status in ('draft', 'scheduled', 'publishing', 'published', 'failed', 'cancelled'));
alter table public.scheduled_posts
    add column media         jsonb not null default '[]'::jsonb,
    add column cover_url     text,
    add column share_to_feed boolean,
    add column updated_by    uuid;
create index scheduled_posts_calendar_idx
    on public.scheduled_posts (workspace_id, publish_at);

-- The media library: files a workspace uploaded, each at a public, unguessable URL that Meta
-- fetches when it publishes.
create table public.media_assets (
    id            uuid primary key default gen_random_uuid(),
    workspace_id  uuid not null references public.workspaces (id) on delete cascade,
    kind          text not null constraint media_assets_kind check (kind in ('image', 'video')),
    content_type  text not null,
    size_bytes    bigint not null,
    width         integer,
    height        integer,
    filename      text,
    storage_key   text not null constraint media_assets_storage_key unique,
    public_url    text not null,
    thumbnail_url text,
    created_by    uuid,
    created_at    timestamptz not null default now()
);
create index media_assets_workspace_idx on public.media_assets (workspace_id, created_at desc);
grant select, insert, update, delete on public.media_assets to authenticated;
grant all on public.media_assets to service_role;
alter table public.media_assets enable row level security;
alter table public.media_assets force row level security;
create policy media_assets_select on public.media_assets for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent')));
create policy media_assets_insert on public.media_assets for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy media_assets_update on public.media_assets for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')))
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy media_assets_delete on public.media_assets for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
