"""The API and workers must connect as a role that Row Level Security binds: never a superuser
or a BYPASSRLS role (those read every tenant's rows whatever the policies say). Refused outside
development; a warning in development."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from app.config import Settings
from app.logging import get_logger

log = get_logger("db.login_role")

ROLE_QUERY = (
    "select current_user as name, rolsuper as superuser, rolbypassrls as bypassrls"
    " from pg_roles where rolname = current_user"
)


class UnsafeLoginRole(RuntimeError):
    pass


def judge_login_role(row: dict[str, Any] | None, settings: Settings) -> None:
    if row is None or not (row["superuser"] or row["bypassrls"]):
        return
    kind = "a superuser" if row["superuser"] else "a BYPASSRLS role"
    message = (
        f"DATABASE_URL connects as {row['name']}, {kind}: Row Level Security would not isolate "
        "workspaces. Create the app's own role with `python -m app.cli setup-db --admin-url "
        "URL` and put the DATABASE_URL it prints in .env"
    )
    if settings.environment == "development":
        log.warning(message)
        return
    raise UnsafeLoginRole(message)


async def check_login_role(conn: Any, settings: Settings) -> None:
    cur = await conn.execute(ROLE_QUERY)
    judge_login_role(await cur.fetchone(), settings)


def check_login_role_at(url: str, settings: Settings) -> None:
    """The same check over a connection of its own (`make run`, a worker starting)."""
    with psycopg.connect(url, row_factory=dict_row, connect_timeout=10) as conn:
        judge_login_role(conn.execute(ROLE_QUERY).fetchone(), settings)
