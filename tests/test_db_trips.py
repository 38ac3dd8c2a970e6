"""Transactions sent in one message (app/db/trips.py): the worker's reply path runs on them, so
they must keep what a tenant session promises: RLS, values quoted, all or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

from app.config import Settings
from app.db.pool import create_pool, prepares_trips
from app.db.prepared import USES_BEFORE_PREPARING
from app.db.session import Claims
from app.db.trips import Query, one_trip, tenant_trip

CONTACT = (
    "insert into public.contacts (workspace_id, social_account_id, platform, external_id)"
    " values (%(ws)s, %(acct)s, 'instagram', %(ext)s) returning id, external_id"
)


def _instagram_account(admin: Any, workspace_id: str) -> str:
    row = admin.execute(
        "select id from social_accounts where workspace_id = %s and platform = 'instagram'",
        (workspace_id,),
    ).fetchone()
    return str(row["id"])


def _other_shop(admin: Any, name: str, instagram_id: str) -> tuple[str, str]:
    """Another workspace and its Instagram account's id."""
    ws = admin.execute(
        "insert into workspaces (name) values (%s) returning id::text as id", (name,)
    ).fetchone()["id"]
    acct = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id)"
        " values (%s, 'instagram', %s) returning id::text as id",
        (ws, instagram_id),
    ).fetchone()["id"]
    return ws, acct


async def test_each_statement_answers_and_values_stay_values(pool: Any, account: Any) -> None:
    hostile = "x'); delete from public.contacts; select ('"
    claims = Claims.for_worker(account["workspace_id"])
    rows = await one_trip(
        pool,
        claims,
        Query("select %(v)s::text as v", {"v": hostile}),
        Query("select n from generate_series(1, %(n)s) as n", {"n": 3}),
        Query("select 1 as one where false"),
    )
    assert rows == [[{"v": hostile}], [{"n": 1}, {"n": 2}, {"n": 3}], []]


async def test_rls_applies_to_every_statement(pool: Any, account: Any, admin: Any) -> None:
    ours = account["workspace_id"]
    ours_acct = _instagram_account(admin, ours)
    suffix = account["suffix"]
    theirs, theirs_acct = _other_shop(admin, "Other Shop", f"9{suffix}")
    admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id)"
        " values (%s, %s, 'instagram', %s)",
        (theirs, theirs_acct, f"theirs-{suffix}"),
    )
    rows = await one_trip(
        pool,
        Claims.for_worker(ours),
        Query(CONTACT, {"ws": ours, "acct": ours_acct, "ext": f"ours-{suffix}"}),
        Query(
            "select count(*) as n from public.contacts where workspace_id = %(ws)s",
            {"ws": theirs},
        ),
        Query(
            "update public.contacts set username = 'taken' where workspace_id = %(ws)s"
            " returning id",
            {"ws": theirs},
        ),
    )
    assert rows[0][0]["external_id"] == f"ours-{suffix}"
    assert rows[1] == [{"n": 0}]
    assert rows[2] == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await one_trip(
            pool,
            Claims.for_worker(ours),
            Query(CONTACT, {"ws": theirs, "acct": theirs_acct, "ext": f"x-{suffix}"}),
        )
    stored = admin.execute(
        "select external_id, username from contacts where workspace_id = %s", (theirs,)
    ).fetchall()
    assert stored == [{"external_id": f"theirs-{suffix}", "username": None}]


async def test_a_failing_statement_undoes_the_whole_trip(
    pool: Any, account: Any, admin: Any
) -> None:
    ws = account["workspace_id"]
    acct = _instagram_account(admin, ws)
    external = f"undone-{account['suffix']}"
    with pytest.raises(psycopg.errors.DivisionByZero):
        async with tenant_trip(pool, Claims.for_worker(ws)) as trip:
            await trip.send(Query(CONTACT, {"ws": ws, "acct": acct, "ext": external}))
            await trip.send(Query("select 1 / 0"), commit=True)
    count = admin.execute(
        "select count(*) as n from contacts where external_id = %s", (external,)
    ).fetchone()
    assert count["n"] == 0
    # the pool's connections are clean afterwards: the next trips commit
    for n in range(3):
        await one_trip(
            pool,
            Claims.for_worker(ws),
            Query(CONTACT, {"ws": ws, "acct": acct, "ext": f"{external}-{n}"}),
        )
    count = admin.execute(
        "select count(*) as n from contacts where external_id like %s", (f"{external}-%",)
    ).fetchone()
    assert count["n"] == 3


async def test_statements_run_one_by_one_in_a_trip_commit_at_the_end(
    pool: Any, account: Any, admin: Any
) -> None:
    ws = account["workspace_id"]
    acct = _instagram_account(admin, ws)
    external = f"mixed-{account['suffix']}"
    async with tenant_trip(pool, Claims.for_worker(ws)) as trip:
        [[row]] = await trip.send(Query(CONTACT, {"ws": ws, "acct": acct, "ext": external}))
        cur = await trip.conn.execute(
            "update public.contacts set username = 'seen' where id = %s", (row["id"],)
        )
        assert cur.rowcount == 1
        # not visible outside before the commit
        outside = admin.execute(
            "select count(*) as n from contacts where external_id = %s", (external,)
        ).fetchone()
        assert outside["n"] == 0
    stored = admin.execute(
        "select username from contacts where external_id = %s", (external,)
    ).fetchone()
    assert stored["username"] == "seen"


# ---- statements kept prepared (app/db/prepared.py)


@asynccontextmanager
async def _one_connection(settings: Any, **overrides: Any) -> AsyncIterator[Any]:
    """A pool of one connection, so that every trip meets what the earlier ones prepared."""
    one = settings.model_copy(update={"db_pool_min_size": 1, "db_pool_max_size": 1, **overrides})
    pool = create_pool(one, settings.database_url)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


async def _prepared_here(pool: Any, ws: str) -> list[str]:
    """What the pool's one connection has prepared (pg_prepared_statements is per session)."""
    [rows] = await one_trip(
        pool,
        Claims.for_worker(ws),
        # a statement sent once, so never prepared itself
        Query("select statement from pg_prepared_statements where name like 'trip%%'"),
    )
    return [row["statement"] for row in rows]


def _two_shops(admin: Any, account: Any) -> tuple[str, str]:
    """Our workspace with one contact, and another shop with three."""
    ours, suffix = account["workspace_id"], account["suffix"]
    admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id)"
        " values (%s, %s, 'instagram', %s)",
        (ours, _instagram_account(admin, ours), f"prep-ours-{suffix}"),
    )
    theirs, theirs_acct = _other_shop(admin, "Prepared Shop", f"8{suffix}")
    for n in range(3):
        admin.execute(
            "insert into contacts (workspace_id, social_account_id, platform, external_id)"
            " values (%s, %s, 'instagram', %s)",
            (theirs, theirs_acct, f"prep-theirs-{n}-{suffix}"),
        )
    return ours, theirs


COUNT_AND_ECHO = (
    "select count(*) as n, %(v)s::text as v from public.contacts"
    " where external_id like 'prep-%%' and workspace_id = any(%(shops)s::uuid[])"
)


async def test_a_statement_sent_again_and_again_runs_prepared_under_rls(
    settings: Any, account: Any, admin: Any
) -> None:
    ours, theirs = _two_shops(admin, account)
    hostile = "x'); deallocate all; select ('"
    async with _one_connection(settings) as pool:
        for _ in range(USES_BEFORE_PREPARING + 3):
            # the same prepared statement, run for one shop and then the other on the same
            # connection: each sees its own rows only, and the value stays a value
            for ws, expected in ((ours, 1), (theirs, 3)):
                [[row]] = await one_trip(
                    pool,
                    Claims.for_worker(ws),
                    Query(COUNT_AND_ECHO, {"v": hostile, "shops": [ours, theirs]}),
                )
                assert row == {"n": expected, "v": hostile}
        prepared = await _prepared_here(pool, ours)
    assert [s for s in prepared if "count(*) as n, $1::text" in s] != []


async def test_a_transaction_pooler_connection_prepares_nothing(
    settings: Any, account: Any, admin: Any
) -> None:
    ours, theirs = _two_shops(admin, account)
    async with _one_connection(settings, db_prepared_trips=False) as pool:
        for _ in range(USES_BEFORE_PREPARING + 3):
            [[row]] = await one_trip(
                pool,
                Claims.for_worker(ours),
                Query(COUNT_AND_ECHO, {"v": "v", "shops": [ours, theirs]}),
            )
            assert row["n"] == 1
        assert await _prepared_here(pool, ours) == []
    # unless told otherwise, only Supavisor's transaction pooler port turns it off
    assert not prepares_trips(Settings(), "postgresql://u:p@pooler.example.com:6543/postgres")
    assert prepares_trips(Settings(), "postgresql://u:p@pooler.example.com:5432/postgres")
    assert prepares_trips(Settings(), "postgresql://u:p@localhost/postgres")
    assert not prepares_trips(
        Settings(db_prepared_trips=False), "postgresql://u:p@localhost/postgres"
    )


async def test_a_statement_postgres_cannot_prepare_is_sent_as_it_is(
    settings: Any, account: Any
) -> None:
    ws = account["workspace_id"]
    # `$1 is null` gives Postgres no type to tell: PREPARE fails, while the query with its
    # value written in runs
    untyped = Query("select %(v)s is null as v, 'prep-untyped' as tag", {"v": "hello"})
    async with _one_connection(settings) as pool:
        for _ in range(USES_BEFORE_PREPARING + 2):
            assert await one_trip(pool, Claims.for_worker(ws), untyped) == [
                [{"v": False, "tag": "prep-untyped"}]
            ]
        assert [s for s in await _prepared_here(pool, ws) if "prep-untyped" in s] == []


async def test_prepared_statements_dropped_or_outdated_are_prepared_again(
    settings: Any, account: Any, admin: Any
) -> None:
    ws = account["workspace_id"]
    admin.execute("drop schema if exists prep_scratch cascade")
    admin.execute("create schema prep_scratch")
    admin.execute("create table prep_scratch.notes (id int primary key, body text)")
    admin.execute("insert into prep_scratch.notes values (1, 'first')")
    admin.execute("grant usage on schema prep_scratch to authenticated")
    admin.execute("grant select on prep_scratch.notes to authenticated")
    notes = Query("select * from prep_scratch.notes where id = %(id)s", {"id": 1})
    try:
        async with _one_connection(settings) as pool:
            claims = Claims.for_worker(ws)
            for _ in range(USES_BEFORE_PREPARING + 1):
                assert await one_trip(pool, claims, notes) == [[{"id": 1, "body": "first"}]]
            # a migration adds a column: the plan prepared before no longer fits the table
            admin.execute("alter table prep_scratch.notes add column tag text default 'new'")
            assert await one_trip(pool, claims, notes) == [
                [{"id": 1, "body": "first", "tag": "new"}]
            ]
            # something dropped every prepared statement of the session
            async with pool.connection() as conn:
                await conn.execute("deallocate all")
            for _ in range(2):
                assert await one_trip(pool, claims, notes) == [
                    [{"id": 1, "body": "first", "tag": "new"}]
                ]
            assert [s for s in await _prepared_here(pool, ws) if "prep_scratch" in s] != []
    finally:
        admin.execute("drop schema prep_scratch cascade")
