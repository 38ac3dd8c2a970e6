-- Core schema: every tenant table carries workspace_id (the tenant) as the leading column of an
-- index, because RLS policies filter on it (Supabase "RLS performance recommendations").

create extension if not exists vector;

create schema if not exists app;
create schema if not exists app_private;

create table public.workspaces (
    id          uuid primary key default gen_random_uuid(),
    name        text not null constraint workspaces_name_length check (char_length(name) between 1 and 200),
    timezone    text not null default 'UTC',
    created_at  timestamptz not null default now()
);

create table public.workspace_members (
    workspace_id uuid not null references public.workspaces (id) on delete cascade,
    user_id      uuid not null,
    role         text not null constraint workspace_members_role check (role in ('owner', 'manager', 'agent')),
    email        text,
    created_at   timestamptz not null default now(),
    constraint workspace_members_pkey primary key (workspace_id, user_id)
);
create index workspace_members_user_idx on public.workspace_members (user_id, workspace_id);

create table public.social_accounts (
    id                     uuid primary key default gen_random_uuid(),
    workspace_id           uuid not null references public.workspaces (id) on delete cascade,
    platform               text not null constraint social_accounts_platform check (platform in ('instagram', 'whatsapp')),
    external_id            text not null,
    display_name           text,
    username               text,
    page_id                text,
    waba_id                text,
    access_token_encrypted text,
    token_expires_at       timestamptz,
    token_status           text not null default 'ok'
        constraint social_accounts_token_status check (token_status in ('ok', 'expiring', 'expired', 'revoked', 'missing')),
    token_refreshed_at     timestamptz,
    settings               jsonb not null default '{}'::jsonb,
    connected_at           timestamptz not null default now(),
    -- one Instagram account or WhatsApp number belongs to one workspace: webhooks route by it
    constraint social_accounts_platform_external_key unique (platform, external_id)
);
create index social_accounts_workspace_idx on public.social_accounts (workspace_id);

create table public.contacts (
    id                uuid primary key default gen_random_uuid(),
    workspace_id      uuid not null references public.workspaces (id) on delete cascade,
    social_account_id uuid not null references public.social_accounts (id) on delete cascade,
    platform          text not null,
    external_id       text not null,
    username          text,
    display_name      text,
    opted_out         boolean not null default false,
    created_at        timestamptz not null default now(),
    last_seen_at      timestamptz,
    constraint contacts_account_external_key unique (social_account_id, external_id)
);
create index contacts_workspace_idx on public.contacts (workspace_id);

create table public.conversations (
    id                uuid primary key default gen_random_uuid(),
    workspace_id      uuid not null references public.workspaces (id) on delete cascade,
    social_account_id uuid not null references public.social_accounts (id) on delete cascade,
    contact_id        uuid not null references public.contacts (id) on delete cascade,
    channel           text not null
        constraint conversations_channel check (channel in ('instagram_dm', 'instagram_comment', 'whatsapp')),
    owner             text not null default 'bot' constraint conversations_owner check (owner in ('bot', 'human')),
    assigned_user_id  uuid,
    status            text not null default 'open' constraint conversations_status check (status in ('open', 'closed')),
    last_inbound_at   timestamptz,
    last_outbound_at  timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint conversations_contact_channel_key unique (social_account_id, contact_id, channel)
);
create index conversations_workspace_idx on public.conversations (workspace_id, updated_at desc);

create table public.messages (
    id                  uuid primary key default gen_random_uuid(),
    workspace_id        uuid not null references public.workspaces (id) on delete cascade,
    conversation_id     uuid not null references public.conversations (id) on delete cascade,
    direction           text not null constraint messages_direction check (direction in ('inbound', 'outbound')),
    sender              text not null constraint messages_sender check (sender in ('contact', 'bot', 'human')),
    platform_message_id text,
    text                text,
    attachments         jsonb not null default '[]'::jsonb,
    sent_at             timestamptz not null default now(),
    created_at          timestamptz not null default now(),
    constraint messages_platform_id_key unique (workspace_id, platform_message_id)
);
create index messages_conversation_idx on public.messages (workspace_id, conversation_id, sent_at);

create table public.posts (
    id                uuid primary key default gen_random_uuid(),
    workspace_id      uuid not null references public.workspaces (id) on delete cascade,
    social_account_id uuid not null references public.social_accounts (id) on delete cascade,
    platform_media_id text not null,
    media_type        text,
    caption           text,
    permalink         text,
    posted_at         timestamptz,
    comments_polled_at timestamptz,
    created_at        timestamptz not null default now(),
    constraint posts_account_media_key unique (social_account_id, platform_media_id)
);
create index posts_workspace_idx on public.posts (workspace_id, posted_at desc);

create table public.comments (
    id                  uuid primary key default gen_random_uuid(),
    workspace_id        uuid not null references public.workspaces (id) on delete cascade,
    social_account_id   uuid not null references public.social_accounts (id) on delete cascade,
    conversation_id     uuid references public.conversations (id) on delete set null,
    platform_comment_id text not null,
    platform_media_id   text,
    parent_comment_id   text,
    from_id             text,
    from_username       text,
    text                text,
    hidden              boolean not null default false,
    replied_at          timestamptz,
    private_replied_at  timestamptz,
    commented_at        timestamptz not null default now(),
    created_at          timestamptz not null default now(),
    constraint comments_account_comment_key unique (social_account_id, platform_comment_id)
);
create index comments_workspace_idx on public.comments (workspace_id, commented_at desc);

create table public.scheduled_posts (
    id                uuid primary key default gen_random_uuid(),
    workspace_id      uuid not null references public.workspaces (id) on delete cascade,
    social_account_id uuid not null references public.social_accounts (id) on delete cascade,
    media_type        text not null constraint scheduled_posts_media_type check (media_type in ('IMAGE', 'CAROUSEL', 'REELS', 'STORIES')),
    media_urls        jsonb not null default '[]'::jsonb,
    caption           text not null default '',
    publish_at        timestamptz not null,
    status            text not null default 'scheduled'
        constraint scheduled_posts_status check (status in ('scheduled', 'publishing', 'published', 'failed', 'cancelled')),
    attempts          integer not null default 0,
    container_id      text,
    platform_media_id text,
    permalink         text,
    last_error        text,
    created_by        uuid,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create index scheduled_posts_due_idx on public.scheduled_posts (workspace_id, status, publish_at);

create table public.ai_settings (
    workspace_id          uuid primary key references public.workspaces (id) on delete cascade,
    chat_model            text,
    temperature           real not null default 0.3 constraint ai_settings_temperature check (temperature between 0 and 2),
    persona               text not null default 'a friendly, concise assistant for the business',
    tone                  text not null default 'friendly',
    confidence_threshold  real not null default 0.7 constraint ai_settings_confidence check (confidence_threshold between 0 and 1),
    blocked_words         text[] not null default '{}',
    escalation_keywords   text[] not null default array['human', 'agent', 'refund', 'urgent'],
    ignore_rules          jsonb not null default '{"emoji_only": true, "tags_only": true}'::jsonb,
    auto_reply            jsonb not null default '{"instagram_dm": true, "instagram_comment": true, "whatsapp": true}'::jsonb,
    comment_reply_mode    text not null default 'public'
        constraint ai_settings_comment_reply_mode check (comment_reply_mode in ('public', 'private', 'both', 'none')),
    max_reply_chars       jsonb not null default '{"instagram_dm": 1000, "instagram_comment": 2200, "whatsapp": 4096}'::jsonb,
    business_hours        jsonb,
    away_message          text,
    reply_in_customer_language boolean not null default true,
    embedding_model       text,
    updated_at            timestamptz not null default now()
);

create table public.ai_decisions (
    id                uuid primary key default gen_random_uuid(),
    workspace_id      uuid not null references public.workspaces (id) on delete cascade,
    conversation_id   uuid references public.conversations (id) on delete set null,
    webhook_event_id  bigint,
    decision          text not null constraint ai_decisions_decision check (decision in ('respond', 'ignore', 'hide', 'escalate')),
    reply_text        text,
    confidence        real,
    reasons           jsonb not null default '[]'::jsonb,
    sources           jsonb not null default '[]'::jsonb,
    model             text,
    prompt_tokens     integer,
    completion_tokens integer,
    cost_usd          numeric(12, 6),
    latency_ms        integer,
    created_at        timestamptz not null default now()
);
create index ai_decisions_workspace_idx on public.ai_decisions (workspace_id, created_at desc);

create table public.escalations (
    id              uuid primary key default gen_random_uuid(),
    workspace_id    uuid not null references public.workspaces (id) on delete cascade,
    conversation_id uuid not null references public.conversations (id) on delete cascade,
    decision_id     uuid references public.ai_decisions (id) on delete set null,
    reason          text not null,
    draft_reply     text,
    status          text not null default 'open' constraint escalations_status check (status in ('open', 'claimed', 'resolved')),
    claimed_by      uuid,
    claimed_at      timestamptz,
    resolved_at     timestamptz,
    created_at      timestamptz not null default now()
);
create index escalations_workspace_idx on public.escalations (workspace_id, status, created_at);

create table public.kb_documents (
    id               uuid primary key default gen_random_uuid(),
    workspace_id     uuid not null references public.workspaces (id) on delete cascade,
    title            text not null,
    source_type      text not null constraint kb_documents_source_type check (source_type in ('pdf', 'text', 'markdown')),
    filename         text,
    byte_size        integer not null default 0,
    status           text not null default 'pending'
        constraint kb_documents_status check (status in ('pending', 'processing', 'ready', 'failed')),
    pages_total      integer,
    pages_read       integer not null default 0,
    chunks_total     integer not null default 0,
    chunks_embedded  integer not null default 0,
    error            text,
    embedding_model  text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
create index kb_documents_workspace_idx on public.kb_documents (workspace_id, created_at desc);

create table public.kb_chunks (
    id              bigint generated always as identity primary key,
    workspace_id    uuid not null references public.workspaces (id) on delete cascade,
    document_id     uuid not null references public.kb_documents (id) on delete cascade,
    chunk_index     integer not null,
    page_number     integer,
    content         text not null,
    content_tsv     tsvector generated always as (to_tsvector('simple', content)) stored,
    -- dimensionless so several embedding models can live side by side; each is indexed by a
    -- partial expression index per model (see PRACTICES.md, pgvector)
    embedding       vector,
    embedding_model text,
    created_at      timestamptz not null default now(),
    constraint kb_chunks_document_index_key unique (document_id, chunk_index)
);
create index kb_chunks_workspace_idx on public.kb_chunks (workspace_id, document_id);
create index kb_chunks_tsv_idx on public.kb_chunks using gin (content_tsv);

create table public.faq (
    id              uuid primary key default gen_random_uuid(),
    workspace_id    uuid not null references public.workspaces (id) on delete cascade,
    question        text not null,
    answer          text not null,
    content_tsv     tsvector generated always as (to_tsvector('simple', question || ' ' || answer)) stored,
    embedding       vector,
    embedding_model text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index faq_workspace_idx on public.faq (workspace_id);
create index faq_tsv_idx on public.faq using gin (content_tsv);

create table public.webhook_events (
    id                bigint generated always as identity primary key,
    -- null while quarantined: the receiving account is not connected to any workspace
    workspace_id      uuid references public.workspaces (id) on delete cascade,
    social_account_id uuid references public.social_accounts (id) on delete set null,
    platform          text not null,
    kind              text not null,
    account_external_id text not null,
    dedupe_key        text not null,
    status            text not null default 'pending'
        constraint webhook_events_status check (status in ('pending', 'enqueued', 'processing', 'done', 'failed', 'quarantined', 'ignored')),
    payload           jsonb not null,
    attempts          integer not null default 0,
    last_error        text,
    occurred_at       timestamptz,
    received_at       timestamptz not null default now(),
    enqueued_at       timestamptz,
    processed_at      timestamptz,
    constraint webhook_events_dedupe_key unique (dedupe_key)
);
create index webhook_events_workspace_idx on public.webhook_events (workspace_id, received_at desc);
create index webhook_events_pending_idx on public.webhook_events (status, received_at)
    where status in ('pending', 'enqueued', 'processing');

create table public.outbound_messages (
    id                  uuid primary key default gen_random_uuid(),
    workspace_id        uuid not null references public.workspaces (id) on delete cascade,
    conversation_id     uuid references public.conversations (id) on delete set null,
    idempotency_key     text not null,
    kind                text not null,
    recipient           text not null,
    payload             jsonb not null,
    status              text not null default 'pending'
        constraint outbound_messages_status check (status in ('pending', 'sending', 'sent', 'unconfirmed', 'failed', 'dead')),
    attempts            integer not null default 0,
    platform_message_id text,
    last_error          text,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    sent_at             timestamptz,
    constraint outbound_messages_idempotency_key unique (idempotency_key)
);
create index outbound_messages_workspace_idx on public.outbound_messages (workspace_id, status, created_at);

create table public.analytics_daily (
    workspace_id       uuid not null references public.workspaces (id) on delete cascade,
    day                date not null,
    channel            text not null,
    messages_in        integer not null default 0,
    messages_out       integer not null default 0,
    auto_replied       integer not null default 0,
    escalated          integer not null default 0,
    ignored            integer not null default 0,
    hidden             integer not null default 0,
    median_response_ms integer,
    constraint analytics_daily_pkey primary key (workspace_id, day, channel)
);

create table public.audit_log (
    id            bigint generated always as identity primary key,
    workspace_id  uuid not null references public.workspaces (id) on delete cascade,
    actor_user_id uuid,
    action        text not null,
    target_type   text,
    target_id     text,
    details       jsonb not null default '{}'::jsonb,
    created_at    timestamptz not null default now()
);
create index audit_log_workspace_idx on public.audit_log (workspace_id, created_at desc);

-- Local accounts for the embedded default (Supabase Auth replaces this in production).
-- Not in an exposed schema and granted to no client role.
create table app_private.local_users (
    id            uuid primary key default gen_random_uuid(),
    email         text not null,
    password_hash text not null,
    created_at    timestamptz not null default now()
);
create unique index local_users_email_key on app_private.local_users (lower(email));
