-- The staff inbox's lists at a real shop's volume: each list reads its newest rows of one
-- workspace through an index in its own order, and a conversation's open escalations are
-- counted through its own index instead of a scan of every tenant's escalations.
create index escalations_conversation_idx on public.escalations (conversation_id)
    where status <> 'resolved';
create index escalations_workspace_created_idx on public.escalations (workspace_id, created_at desc);
create index outbound_messages_workspace_created_idx
    on public.outbound_messages (workspace_id, created_at desc);
create index messages_conversation_sent_idx on public.messages (conversation_id, sent_at desc);
