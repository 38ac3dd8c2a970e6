"""Fails when a table is added without RLS, or without being covered by the isolation tests."""

from __future__ import annotations

from tests.support.tenant_rows import ROW_MAKERS


def test_every_public_table_has_forced_rls_and_a_tenant_policy(admin) -> None:
    tables = admin.execute(
        """
        select c.relname, c.relrowsecurity, c.relforcerowsecurity,
               exists (select 1 from pg_attribute a where a.attrelid = c.oid
                       and a.attname = 'workspace_id' and not a.attisdropped) as has_tenant_column,
               (select count(*) from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname
                   and p.cmd = 'SELECT') as select_policies
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p')
        """
    ).fetchall()
    assert tables, "no tables found"
    for t in tables:
        assert t["relrowsecurity"] and t["relforcerowsecurity"], (
            f"{t['relname']} lacks enabled+forced RLS"
        )
        assert t["select_policies"] >= 1, f"{t['relname']} has no select policy"
        if t["relname"] != "workspaces":
            assert t["has_tenant_column"], f"{t['relname']} has no workspace_id"
    names = {t["relname"] for t in tables}
    assert names - {"workspaces"} == set(ROW_MAKERS), (
        "every tenant table needs a row maker in tests/support/tenant_rows.py so the isolation "
        f"tests cover it; uncovered: {sorted(names - {'workspaces'} - set(ROW_MAKERS))}"
    )


def test_policies_go_through_the_one_helper(admin) -> None:
    policies = admin.execute(
        "select tablename, policyname, coalesce(qual, '') || coalesce(with_check, '') as expr, roles"
        " from pg_policies where schemaname = 'public'"
    ).fetchall()
    for p in policies:
        assert "allowed_workspaces" in p["expr"], (
            f"{p['policyname']} bypasses app.allowed_workspaces"
        )
        assert p["roles"] == ["authenticated"], f"{p['policyname']} applies to {p['roles']}"


def test_app_role_is_not_privileged(admin, servers) -> None:
    role = admin.execute(
        "select rolsuper, rolbypassrls, rolinherit from pg_roles where rolname = 'socialsync_app'"
    ).fetchone()
    assert role == {"rolsuper": False, "rolbypassrls": False, "rolinherit": False}
    owned = admin.execute(
        "select count(*) as n from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'socialsync_app'"
    ).fetchone()
    assert owned["n"] == 0
    anon_grants = admin.execute(
        "select count(*) as n from information_schema.role_table_grants where grantee = 'anon' and table_schema = 'public'"
    ).fetchone()
    assert anon_grants["n"] == 0


def test_search_functions_and_helpers_are_safe(admin) -> None:
    definers = admin.execute(
        """
        select p.proname, n.nspname, p.proconfig
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where p.prosecdef and n.nspname in ('public', 'app', 'app_private')
        """
    ).fetchall()
    for f in definers:
        assert f["proconfig"] and 'search_path=""' in f["proconfig"], (
            f"{f['proname']} must pin search_path"
        )
