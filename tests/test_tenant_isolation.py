"""A session of workspace A can neither read nor write workspace B: for every tenant table,
as a member (user JWT) and as a worker scoped to A, enforced by PostgreSQL RLS."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from app.db.session import Claims, tenant_session
from tests.support.factories import add_member, create_workspace, register
from tests.support.tenant_rows import ROW_MAKERS, seed_all

TENANT_TABLES = sorted(ROW_MAKERS)


@pytest.fixture(scope="module")
async def two_tenants(client, servers) -> dict[str, Any]:
    alice, bob = await register(client, "alice"), await register(client, "bob")
    ws_a = (await create_workspace(client, alice, "Alice's shop"))["id"]
    ws_b = (await create_workspace(client, bob, "Bob's shop"))["id"]
    async with await psycopg.AsyncConnection.connect(
        servers.admin_url, autocommit=True, row_factory=dict_row
    ) as conn:
        refs_a = await seed_all(conn, ws_a)
        refs_b = await seed_all(conn, ws_b)
    return {"alice": alice, "bob": bob, "a": ws_a, "b": ws_b, "refs_a": refs_a, "refs_b": refs_b}


def _sessions(t: dict[str, Any]) -> list[tuple[str, Claims]]:
    return [
        ("member", Claims.for_user(t["alice"].user_id, t["alice"].email)),
        ("worker", Claims.for_worker(t["a"])),
    ]


async def _count(conn, table: str, ws: str) -> int:  # type: ignore[no-untyped-def]
    cur = await conn.execute(
        f"select count(*) as n from public.{table} where workspace_id = %s", (ws,)
    )
    return (await cur.fetchone())["n"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_cannot_read_other_workspace(pool, two_tenants, table) -> None:
    for _, claims in _sessions(two_tenants):
        async with tenant_session(pool, claims) as conn:
            assert await _count(conn, table, two_tenants["b"]) == 0
            assert await _count(conn, table, two_tenants["a"]) >= 1
            cur = await conn.execute(
                f"select distinct workspace_id::text as ws from public.{table}"
            )
            assert {r["ws"] for r in await cur.fetchall()} == {two_tenants["a"]}


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_cannot_insert_into_other_workspace(pool, two_tenants, table) -> None:
    for _, claims in _sessions(two_tenants):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with tenant_session(pool, claims) as conn:
                await ROW_MAKERS[table](conn, two_tenants["b"], two_tenants["refs_b"])


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_cannot_update_or_delete_other_workspace(pool, two_tenants, admin, table) -> None:
    before = admin.execute(
        f"select count(*) as n from public.{table} where workspace_id = %s", (two_tenants["b"],)
    ).fetchone()["n"]
    for _, claims in _sessions(two_tenants):
        async with tenant_session(pool, claims) as conn:
            updated = await conn.execute(
                f"update public.{table} set workspace_id = workspace_id where workspace_id = %s",
                (two_tenants["b"],),
            )
            assert updated.rowcount == 0
            deleted = await conn.execute(
                f"delete from public.{table} where workspace_id = %s", (two_tenants["b"],)
            )
            assert deleted.rowcount == 0
    after = admin.execute(
        f"select count(*) as n from public.{table} where workspace_id = %s", (two_tenants["b"],)
    ).fetchone()["n"]
    assert after == before


@pytest.mark.parametrize(
    "table", [t for t in TENANT_TABLES if t not in ("audit_log", "ai_settings")]
)
async def test_cannot_move_own_rows_into_other_workspace(pool, two_tenants, table) -> None:
    # the worker scope may update every table of its own workspace; moving a row out of it is
    # refused by the policies' WITH CHECK
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with tenant_session(pool, Claims.for_worker(two_tenants["a"])) as conn:
            await conn.execute(
                f"update public.{table} set workspace_id = %s where workspace_id = %s",
                (two_tenants["b"], two_tenants["a"]),
            )


async def test_workspaces_table_is_isolated(pool, two_tenants, admin) -> None:
    for _, claims in _sessions(two_tenants):
        async with tenant_session(pool, claims) as conn:
            cur = await conn.execute("select id::text as id from public.workspaces")
            assert [r["id"] for r in await cur.fetchall()] == [two_tenants["a"]]
            cur = await conn.execute(
                "update public.workspaces set name = 'pwned' where id = %s", (two_tenants["b"],)
            )
            assert cur.rowcount == 0
            cur = await conn.execute(
                "delete from public.workspaces where id = %s", (two_tenants["b"],)
            )
            assert cur.rowcount == 0
    assert (
        admin.execute("select name from workspaces where id = %s", (two_tenants["b"],)).fetchone()[
            "name"
        ]
        == "Bob's shop"
    )


async def test_no_claims_sees_nothing(pool, two_tenants) -> None:
    async with tenant_session(pool, Claims({})) as conn:
        for table in TENANT_TABLES:
            assert await _count(conn, table, two_tenants["a"]) == 0


async def test_app_role_alone_can_touch_no_table(servers) -> None:
    # the login role the app connects with owns nothing and inherits nothing: without a
    # tenant (or the named privileged) session it cannot read a single row
    async with await psycopg.AsyncConnection.connect(servers.app_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("select count(*) from public.messages")


async def test_member_roles_limit_writes(client, pool) -> None:
    owner, manager, agent = (
        await register(client, "owner"),
        await register(client, "manager"),
        await register(client, "agent"),
    )
    ws = (await create_workspace(client, owner))["id"]
    await add_member(client, owner, ws, manager, "manager")
    await add_member(client, owner, ws, agent, "agent")
    async with tenant_session(pool, Claims.for_user(owner.user_id)) as conn:
        await conn.execute(
            "insert into kb_documents (workspace_id, title, source_type) values (%s, 'Doc', 'text')",
            (ws,),
        )

    async with tenant_session(pool, Claims.for_user(agent.user_id)) as conn:
        cur = await conn.execute(
            "update ai_settings set persona = 'x' where workspace_id = %s", (ws,)
        )
        assert cur.rowcount == 0, "agents cannot change AI settings"
        cur = await conn.execute("delete from kb_documents where workspace_id = %s", (ws,))
        assert cur.rowcount == 0, "agents cannot delete the knowledge base"
        cur = await conn.execute(
            "select count(*) as n from kb_documents where workspace_id = %s", (ws,)
        )
        assert (await cur.fetchone())["n"] == 1, "but they can read it"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with tenant_session(pool, Claims.for_user(agent.user_id)) as conn:
            await conn.execute(
                "insert into faq (workspace_id, question, answer) values (%s, 'q', 'a')", (ws,)
            )

    async with tenant_session(pool, Claims.for_user(manager.user_id)) as conn:
        cur = await conn.execute(
            "update ai_settings set persona = 'helpful' where workspace_id = %s", (ws,)
        )
        assert cur.rowcount == 1
        cur = await conn.execute("delete from kb_documents where workspace_id = %s", (ws,))
        assert cur.rowcount == 1
        cur = await conn.execute("delete from ai_settings where workspace_id = %s", (ws,))
        assert cur.rowcount == 0, "only owners delete settings"
