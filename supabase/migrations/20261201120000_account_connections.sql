-- Connecting accounts from the API. A number or Instagram account belongs to one workspace
-- (webhooks route by it), and a staff member connecting one that another workspace already has
-- must be told so without learning which workspace: a yes/no, computed past RLS.
create or replace function app.social_account_taken_elsewhere(
    p_platform text, p_external_id text, p_workspace uuid
) returns boolean
language sql stable security definer set search_path = '' as $$
    select exists (
        select 1 from public.social_accounts s
         where s.platform = p_platform and s.external_id = p_external_id
           and s.workspace_id <> p_workspace
    )
$$;
revoke all on function app.social_account_taken_elsewhere(text, text, uuid) from public;
grant execute on function app.social_account_taken_elsewhere(text, text, uuid)
    to authenticated, service_role;

-- a disconnected account keeps its conversations (read-only: no token, nothing is sent)
alter table public.social_accounts add column disconnected_at timestamptz;
