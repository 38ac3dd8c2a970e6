-- The app's login role owns nothing and cannot read app_private: this one definer function tells
-- it which migrations are applied, so a process can start without the admin URL when none is
-- pending (and say so when one is). It reveals migration versions and nothing else.
create schema if not exists app_meta;
revoke all on schema app_meta from public;
grant usage on schema app_meta to public;

create or replace function app_meta.applied_migrations()
returns setof text
language sql
stable
security definer
set search_path = ''
as $$
    select version from app_private.schema_migrations order by version
$$;
revoke all on function app_meta.applied_migrations() from public;
grant execute on function app_meta.applied_migrations() to public;
