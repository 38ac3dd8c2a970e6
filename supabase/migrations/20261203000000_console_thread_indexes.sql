-- The console's thread shows each conversation's decisions beside its messages
create index if not exists ai_decisions_conversation_idx
    on public.ai_decisions (conversation_id, created_at desc);

-- ... and the replies still on their way in it.
create index if not exists outbound_messages_unsent_idx
    on public.outbound_messages (conversation_id, created_at)
    where status not in ('sent', 'cancelled');
