-- Cursor pagination over every list, and an inbox's "unread": a conversation is unread while
-- the customer's last message is newer than the last time staff opened it (one marker per
-- conversation: the team shares one inbox).
alter table public.conversations add column staff_read_at timestamptz;

-- keyset pages walk (time, id) in the list's order
drop index if exists public.conversations_workspace_idx;
create index conversations_workspace_idx on public.conversations (workspace_id, updated_at desc, id desc);
drop index if exists public.comments_workspace_idx;
create index comments_workspace_idx on public.comments (workspace_id, commented_at desc, id desc);
drop index if exists public.faq_workspace_idx;
create index faq_workspace_idx on public.faq (workspace_id, created_at, id);
