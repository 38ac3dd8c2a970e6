"""Tenant and privileged sessions.

A tenant session is one transaction that does what PostgREST does: switch to the
`authenticated` role and set the JWT claims, both transaction-local, so the database (RLS), not
our Python, decides which rows are visible. Claims are quoted by libpq, never formatted in.

The privileged session switches to `service_role` (BYPASSRLS). It exists for the few things no
tenant can do for itself: resolving which workspace an incoming webhook belongs to, the sweeper
that re-enqueues stored events, local sign-up and sign-in. Keep its callers few and named.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[Any]]
Conn = AsyncConnection[Any]


@dataclass(frozen=True)
class Claims:
    """What the database sees as `request.jwt.claims`."""

    values: dict[str, Any]

    @classmethod
    def for_user(cls, user_id: UUID | str, email: str | None = None) -> Claims:
        return cls({"sub": str(user_id), "role": "authenticated", "email": email})

    @classmethod
    def for_worker(cls, workspace_id: UUID | str) -> Claims:
        return cls({"role": "service_worker", "workspace_id": str(workspace_id)})


def begin_as(role: str, claims: dict[str, Any]) -> sql.Composed:
    """BEGIN and the transaction-local role and claims, sent as one simple-protocol query: one
    round trip instead of two, which every transaction of every request and task pays. The
    claims are quoted by libpq (a literal), never formatted in."""
    return sql.SQL(
        "begin; select set_config('role', {role}, true), "
        "set_config('request.jwt.claims', {claims}, true)"
    ).format(role=sql.Literal(role), claims=sql.Literal(json.dumps(claims)))


BEGIN_PRIVILEGED = begin_as("service_role", {"role": "service_role"})


@asynccontextmanager
async def _transaction(pool: Pool, begin: sql.Composed) -> AsyncIterator[Conn]:
    async with pool.connection() as conn:
        await conn.execute(begin)
        try:
            yield conn
        except BaseException:
            # a broken connection cannot roll back; the pool discards it either way
            with contextlib.suppress(psycopg.Error):
                await conn.rollback()
            raise
        await conn.commit()


@asynccontextmanager
async def tenant_session(pool: Pool, claims: Claims) -> AsyncIterator[Conn]:
    async with _transaction(pool, begin_as("authenticated", claims.values)) as conn:
        yield conn


@asynccontextmanager
async def privileged_session(pool: Pool) -> AsyncIterator[Conn]:
    async with _transaction(pool, BEGIN_PRIVILEGED) as conn:
        yield conn
