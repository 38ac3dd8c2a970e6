"""SQL for the `ai_settings` row (reading it is `ai_settings.load_ai_settings`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from app.db.session import Conn
from app.db.trips import Query, fetch_one

# jsonb maps merged key by key (a PATCH of one channel keeps the others); the rest replaced.
# A stored map that is not an object (written by an older version) is merged into as if empty.
MERGED = frozenset({"auto_reply", "max_reply_chars", "ignore_rules"})
JSON = frozenset({"business_hours"})


def _value(column: str, value: Any) -> sql.Composable:
    if column in MERGED:
        return sql.SQL(
            "(case when jsonb_typeof({col}) = 'object' then {col} else '{{}}'::jsonb end) || {v}"
        ).format(col=sql.Identifier(column), v=sql.Literal(Jsonb(value)))
    if column in JSON:
        return sql.Literal(Jsonb(value) if value is not None else None)
    return sql.Literal(value)


async def update_settings(conn: Conn, workspace_id: UUID, changes: dict[str, Any]) -> None:
    """`changes` are validated column -> value pairs (the API schema names the columns)."""
    await conn.execute(
        "insert into public.ai_settings (workspace_id) values (%(ws)s) on conflict do nothing",
        {"ws": workspace_id},
    )
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), _value(column, value))
        for column, value in changes.items()
    )
    await conn.execute(
        sql.SQL(
            "update public.ai_settings set {}, updated_at = now() where workspace_id = {}"
        ).format(assignments, sql.Literal(workspace_id))
    )


def settings_row_query(workspace_id: UUID | str) -> Query:
    """The workspace's stored settings (all null when it has no row yet) with its name and
    time zone; no row when there is no such workspace."""
    return Query(
        """
        select s.*, w.name as business_name, w.timezone
          from public.workspaces w left join public.ai_settings s on s.workspace_id = w.id
         where w.id = %(ws)s
        """,
        {"ws": workspace_id},
    )


async def settings_row(conn: Conn, workspace_id: UUID | str) -> dict[str, Any] | None:
    return await fetch_one(conn, settings_row_query(workspace_id))


async def embedding_provider(conn: Conn, workspace_id: UUID | str) -> str | None:
    """The workspace's chosen embedding provider; None means the deployment's default."""
    cur = await conn.execute(
        "select embedding_provider from public.ai_settings where workspace_id = %(ws)s",
        {"ws": workspace_id},
    )
    row = await cur.fetchone()
    return row["embedding_provider"] if row else None
