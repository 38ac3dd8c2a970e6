"""The async psycopg 3 pool the API and workers share within a process."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from app.config import Settings
from app.db import prepared

# the port of Supabase's transaction-mode pooler (Supavisor, or PgBouncer on a dedicated one):
# each transaction may get another backend, so nothing prepared on one survives to the next
TRANSACTION_POOLER_PORT = "6543"


def connection_kwargs(settings: Settings) -> dict[str, Any]:
    # autocommit: the sessions (app/db/session.py) open each transaction themselves, with the
    # claims in the same round trip; psycopg would otherwise send a BEGIN of its own first
    return {
        "row_factory": dict_row,
        "prepare_threshold": settings.db_prepare_threshold,
        "autocommit": True,
    }


def prepares_trips(settings: Settings, conninfo: str) -> bool:
    """Whether the pool's connections prepare the statements their trips send again and again
    (app/db/prepared.py): unless configured, on everywhere but behind a transaction pooler."""
    if settings.db_prepared_trips is not None:
        return settings.db_prepared_trips
    return str(conninfo_to_dict(conninfo).get("port", "")) != TRANSACTION_POOLER_PORT


async def _keep_prepared(conn: AsyncConnection[Any]) -> None:
    prepared.registry.enable(conn)


def create_pool(settings: Settings, conninfo: str) -> AsyncConnectionPool[AsyncConnection[Any]]:
    return AsyncConnectionPool(
        conninfo,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        kwargs=connection_kwargs(settings),
        configure=_keep_prepared if prepares_trips(settings, conninfo) else None,
        open=False,
        name="socialsync",
    )
