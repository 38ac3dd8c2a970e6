-- Token health follows Meta's error codes (META-CONNECT.md §5). A refused token flags the
-- account `needs_reconnect` at once when Meta's subcode is definite (app removed, password
-- changed, logged out...), otherwise after a second refusal inside a window: one stray 190
-- during an incident must not stop a working account. A later success clears the flag.
alter table public.social_accounts drop constraint social_accounts_token_status;
alter table public.social_accounts add constraint social_accounts_token_status
    check (token_status in ('ok', 'expiring', 'expired', 'needs_reconnect', 'revoked', 'missing'));

alter table public.social_accounts
    add column token_failures   integer not null default 0,
    add column token_failed_at  timestamptz,
    -- what the staff must do: reconnect | act_on_platform | reconnect_as_page_admin |
    -- deauthorized | expires_before_post
    add column token_problem    text,
    add column token_error      text;

-- Meta's deauthorize and data-deletion callbacks name only the account, never a workspace:
-- not tenant data. The confirmation code is what Meta shows the person; the status page reads
-- it back.
create table app_private.data_deletion_requests (
    confirmation_code text primary key,
    platform          text not null,
    platform_user_id  text not null,
    accounts_deleted  integer not null default 0,
    requested_at      timestamptz not null default now(),
    completed_at      timestamptz
);
grant select, insert, update on app_private.data_deletion_requests to service_role;
