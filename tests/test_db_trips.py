"""Transactions sent in one message (app/db/trips.py): the worker's reply path runs on them, so
they must keep what a tenant session promises: RLS, values quoted, all or nothing."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

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
    theirs = admin.execute(
        "insert into workspaces (name) values ('Other Shop') returning id::text as id"
    ).fetchone()["id"]
    theirs_acct = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id)"
        " values (%s, 'instagram', %s) returning id::text as id",
        (theirs, f"9{suffix}"),
    ).fetchone()["id"]
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
