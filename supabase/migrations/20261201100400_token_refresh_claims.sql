-- Two workers running token refresh at once (two Beat slots overlapping, several workers) must
-- not both refresh one account: a run claims the account for a short while before calling Meta.
alter table public.social_accounts add column token_refresh_claimed_until timestamptz;
