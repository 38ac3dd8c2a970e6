-- Customers have names: an Instagram contact's name, username and picture come from Meta's
-- User Profile API on first contact and are refreshed rarely (PROFILE_REFRESH_DAYS);
-- profile_fetched_at is both the cache's age and the claim that one worker is fetching it.
alter table public.contacts
    add column avatar_url         text,
    add column profile_fetched_at timestamptz;
