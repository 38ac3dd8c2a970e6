-- Publishing scheduled posts from Beat, one step per run (META.md §3): when the next step is due
-- (container polling, backoff after a failure, the account's publishing limit), a carousel's
-- item containers, when the container was made (to give up on one that never finishes) and when
-- the post went out.
alter table public.scheduled_posts
    add column next_attempt_at      timestamptz,
    add column child_container_ids  text[] not null default '{}',
    add column container_created_at timestamptz,
    add column published_at         timestamptz;

-- Beat's question, across workspaces: which posts have a step due now
create index scheduled_posts_publish_queue_idx
    on public.scheduled_posts ((coalesce(next_attempt_at, publish_at)))
    where status in ('scheduled', 'publishing');
