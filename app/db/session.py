"""Tenant and privileged sessions.

A tenant session is one transaction that does what PostgREST does: switch to the
`authenticated` role and set the JWT claims, both transaction-local, so the database (RLS), not
our Python, decides which rows are visible. Claims are bound parameters, never formatted in.

The privileged session switches to `service_role` (BYPASSRLS). It exists for the few things no
tenant can do for itself: resolving which workspace an incoming webhook belongs to, the sweeper
that re-enqueues stored events, local sign-up and sign-in. Keep its callers few and named.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
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


_SET_TENANT = (
    "select set_config('role', 'authenticated', true), "
    "set_config('request.jwt.claims', %(claims)s, true)"
)
_SET_PRIVILEGED = (
    "select set_config('role', 'service_role', true), "
    "set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true)"
)


@asynccontextmanager
async def tenant_session(pool: Pool, claims: Claims) -> AsyncIterator[Conn]:
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(_SET_TENANT, {"claims": json.dumps(claims.values)})
        yield conn


@asynccontextmanager
async def privileged_session(pool: Pool) -> AsyncIterator[Conn]:
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(_SET_PRIVILEGED)
        yield conn
