"""Transactions sent in as few messages as possible.

A worker runs one event loop for many replies at once, so every statement awaited inside a
transaction waits its turn behind the other replies' CPU work, and the backend sits idle in
transaction meanwhile (a Supabase pooler pins a backend for every open transaction). A `Trip`
sends several statements, with BEGIN and the claims in front and COMMIT at the end if asked, as
one simple-protocol message: the server runs them back to back and the transaction is never
idle waiting for us. Values are bound on the client by psycopg's ClientCursor (quoted by libpq),
never formatted in; repos build the `Query` values and keep owning their SQL. A statement sent
again and again runs prepared, so Postgres does not parse and plan it each time
(app/db/prepared.py).

Use it for statements that do not need each other's answers; a decision that depends on a read
goes in the next send."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Concatenate, LiteralString, ParamSpec

import psycopg
from psycopg import AsyncClientCursor, sql
from psycopg.rows import dict_row

from app.db.prepared import Statement, registry
from app.db.session import BEGIN_PRIVILEGED, Claims, Conn, Pool, begin_as

P = ParamSpec("P")


@dataclass(frozen=True)
class Query:
    text: LiteralString
    params: Mapping[str, Any] = field(default_factory=dict)


async def fetch_one(conn: Conn, query: Query) -> dict[str, Any] | None:
    cur = await conn.execute(query.text, query.params)
    row: dict[str, Any] | None = await cur.fetchone()
    return row


async def fetch_all(conn: Conn, query: Query) -> list[dict[str, Any]]:
    cur = await conn.execute(query.text, query.params)
    return list(await cur.fetchall())


async def run(conn: Conn, query: Query) -> None:
    await conn.execute(query.text, query.params)


def statement(build: Callable[P, Query]) -> Callable[Concatenate[Conn, P], Awaitable[None]]:
    """A repo's query builder as a function that runs it on a connection (same arguments)."""

    async def execute(conn: Conn, *args: P.args, **kwargs: P.kwargs) -> None:
        await run(conn, build(*args, **kwargs))

    return execute


def one_row(
    build: Callable[P, Query],
) -> Callable[Concatenate[Conn, P], Awaitable[dict[str, Any]]]:
    """Like `statement`, for a query that always returns one row (an upsert's `returning`)."""

    async def execute(conn: Conn, *args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        row = await fetch_one(conn, build(*args, **kwargs))
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    return execute


def all_rows(
    build: Callable[P, Query],
) -> Callable[Concatenate[Conn, P], Awaitable[list[dict[str, Any]]]]:
    """Like `statement`, returning the query's rows."""

    async def execute(conn: Conn, *args: P.args, **kwargs: P.kwargs) -> list[dict[str, Any]]:
        return await fetch_all(conn, build(*args, **kwargs))

    return execute


class Trip:
    """One transaction (a tenant's, or the privileged session's); `send` runs statements in one
    message and returns each one's rows (an empty list for statements without rows)."""

    def __init__(self, conn: Conn, begin: sql.Composed) -> None:
        self.conn = conn
        self._begin = begin
        self._cursor: AsyncClientCursor[dict[str, Any]] = AsyncClientCursor(
            conn, row_factory=dict_row
        )
        self.open = False
        self.done = False

    async def send(self, *queries: Query, commit: bool = False) -> list[list[dict[str, Any]]]:
        return await self._send(queries, commit=commit, again=True)

    async def _send(
        self, queries: tuple[Query, ...], *, commit: bool, again: bool
    ) -> list[list[dict[str, Any]]]:
        if self.done:
            raise RuntimeError("the transaction is over")
        # the first message opens the transaction as a session does: BEGIN and the role and
        # claims, two statements whose results are skipped
        head = [] if self.open else [self._begin.as_string(self.conn)]
        body: list[str] = []
        # where each query's result is among the message's (a PREPARE has one of its own)
        answers: list[int] = []
        preparing: dict[str, Statement] = {}
        for query in queries:
            call, prepare = self._statement(query, preparing)
            body += [prepare] if prepare else []
            answers.append(len(body))
            body.append(call)
        self.open = True
        try:
            await self._cursor.execute("; ".join(head + body + (["commit"] if commit else [])))
        except psycopg.Error as error:
            if registry.failed(self.conn, error, list(preparing)) and head and again:
                # a statement's preparing failed, not the work, and this message was all the
                # transaction had done: it is sent once more, prepared afresh or not at all
                await self.conn.execute("rollback")
                self.open = False
                return await self._send(queries, commit=commit, again=False)
            raise
        registry.prepared_now(self.conn, preparing)
        for _ in range(2 if head else 0):
            self._cursor.nextset()
        results: list[list[dict[str, Any]]] = []
        position = 0
        for answer in answers:
            for _ in range(answer - position):
                self._cursor.nextset()
            position = answer
            described = self._cursor.description is not None
            results.append(list(await self._cursor.fetchall()) if described else [])
        self.done = commit
        return results

    def _statement(self, query: Query, preparing: dict[str, Statement]) -> tuple[str, str]:
        """The query as sent, and the PREPARE to send before it when this connection has not
        prepared it yet ('' when none is needed; app/db/prepared.py)."""
        prepare = ""
        statement = preparing.get(query.text)
        if statement is None:
            statement, first = registry.plan(self.conn, query.text)
            if statement is None:
                return self._cursor.mogrify(query.text, query.params), ""
            if first:
                prepare = statement.prepare
                preparing[query.text] = statement
        return self._cursor.mogrify(statement.call, query.params), prepare

    async def commit(self) -> None:
        if self.open and not self.done:
            await self.conn.execute("commit")
        self.done = True


def tenant_trip(pool: Pool, claims: Claims) -> AbstractAsyncContextManager[Trip]:
    """A tenant transaction (RLS applies, as in `tenant_session`) sent in trips; committed at the
    end unless the last `send` already did, rolled back on an error."""
    return _trip(pool, begin_as("authenticated", claims.values))


def privileged_trip(pool: Pool) -> AbstractAsyncContextManager[Trip]:
    """The privileged session (`privileged_session`, RLS bypassed: keep its callers few and
    named) sent in trips."""
    return _trip(pool, BEGIN_PRIVILEGED)


@asynccontextmanager
async def _trip(pool: Pool, begin: sql.Composed) -> AsyncIterator[Trip]:
    async with pool.connection() as conn:
        trip = Trip(conn, begin)
        try:
            yield trip
        except BaseException:
            if trip.open and not trip.done:
                # a broken connection cannot roll back; the pool discards it either way
                with contextlib.suppress(psycopg.Error):
                    await conn.execute("rollback")
            raise
        await trip.commit()


async def one_trip(pool: Pool, claims: Claims, *queries: Query) -> list[list[dict[str, Any]]]:
    """A whole tenant transaction in one message: BEGIN, the claims, the statements, COMMIT."""
    async with tenant_trip(pool, claims) as trip:
        return await trip.send(*queries, commit=True)
