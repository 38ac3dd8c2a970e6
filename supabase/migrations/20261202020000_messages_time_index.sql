-- The analytics overview reads a workspace's messages of a few days (messages in and out, first
-- response times): through an index on that time, instead of every message of the workspace.
create index messages_workspace_sent_idx on public.messages (workspace_id, sent_at);
