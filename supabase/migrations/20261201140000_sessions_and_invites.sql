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
