"""The async psycopg 3 pool the API and workers share within a process."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from app.config import Settings


def connection_kwargs(settings: Settings) -> dict[str, Any]:
    # autocommit: the sessions (app/db/session.py) open each transaction themselves, with the
    # claims in the same round trip; psycopg would otherwise send a BEGIN of its own first
    return {
        "row_factory": dict_row,
        "prepare_threshold": settings.db_prepare_threshold,
        "autocommit": True,
    }


def create_pool(settings: Settings, conninfo: str) -> AsyncConnectionPool[AsyncConnection[Any]]:
    return AsyncConnectionPool(
        conninfo,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        kwargs=connection_kwargs(settings),
        open=False,
        name="socialsync",
    )
