-- Supabase compatibility: what a Supabase project already provides, created only where missing.
-- Our migration runner applies this before the migrations on a plain PostgreSQL (the embedded
-- default, docker-compose). On a real Supabase project every statement below is a no-op.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- Same bodies as supabase/auth (migrations 20211202183645_update_auth_uid and
-- 20220531120530_add_auth_jwt_function): claims come from the transaction-local setting.
do $$
begin
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'auth' and p.proname = 'uid'
  ) then
    execute $f$
      create function auth.uid() returns uuid language sql stable as $b$
        select nullif(
          coalesce(
            current_setting('request.jwt.claim.sub', true),
            (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')
          ),
          ''
        )::uuid
      $b$
    $f$;
  end if;
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'auth' and p.proname = 'jwt'
  ) then
    execute $f$
      create function auth.jwt() returns jsonb language sql stable as $b$
        select coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $b$
    $f$;
  end if;
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'auth' and p.proname = 'role'
  ) then
    execute $f$
      create function auth.role() returns text language sql stable as $b$
        select nullif(
          coalesce(
            current_setting('request.jwt.claim.role', true),
            (current_setting('request.jwt.claims', true)::jsonb ->> 'role')
          ),
          ''
        )::text
      $b$
    $f$;
  end if;
end
$$;

grant execute on function auth.uid(), auth.jwt(), auth.role() to anon, authenticated, service_role;
