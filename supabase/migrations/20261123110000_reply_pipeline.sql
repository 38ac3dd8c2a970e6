-- Reply pipeline: outbound messages know their account and can be cancelled (a human took the
-- conversation before the bot's reply went out); escalations carry the event that caused them.

alter table public.outbound_messages drop constraint outbound_messages_status;
alter table public.outbound_messages add constraint outbound_messages_status
    check (status in ('pending', 'sending', 'sent', 'unconfirmed', 'failed', 'dead', 'cancelled'));
alter table public.outbound_messages add column social_account_id uuid references public.social_accounts (id) on delete cascade;
alter table public.outbound_messages add column sender text not null default 'bot'
    constraint outbound_messages_sender check (sender in ('bot', 'human'));
alter table public.outbound_messages add column decision_id uuid references public.ai_decisions (id) on delete set null;
create index outbound_messages_platform_id_idx on public.outbound_messages (workspace_id, platform_message_id);

alter table public.escalations add column webhook_event_id bigint;
create unique index escalations_event_key on public.escalations (workspace_id, webhook_event_id)
    where webhook_event_id is not null;
