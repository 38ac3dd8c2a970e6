"""SQL for canned replies (staff sessions, RLS: members read, managers and owners write)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.db.keyset import after_key, after_params
from app.db.session import Conn

_COLUMNS = "id, title, text, shortcut, created_by, created_at, updated_at"


async def list_replies(
    conn: Conn,
    *,
    workspace_id: UUID,
    query: str | None,
    limit: int,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """In the order they were written; `query` matches title, shortcut or text."""
    cur = await conn.execute(
        f"select {_COLUMNS} from public.canned_replies"  # noqa: S608 - constant fragments
        " where workspace_id = %(ws)s"
        " and (%(q)s::text is null or title ilike %(like)s or text ilike %(like)s"
        "      or shortcut ilike %(like)s)"
        f" and {after_key('created_at, id', 'asc')}"
        " order by created_at, id limit %(limit)s",
        {
            "ws": workspace_id,
            "q": query,
            "like": f"%{_escape_like(query)}%" if query else None,
            "limit": limit,
            **after_params(after),
        },
    )
    return await cur.fetchall()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_reply(conn: Conn, *, workspace_id: UUID, reply_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"select {_COLUMNS} from public.canned_replies"  # noqa: S608 - constant columns
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": reply_id},
    )
    return await cur.fetchone()


async def create_reply(
    conn: Conn, *, workspace_id: UUID, title: str, text: str, shortcut: str | None, user_id: UUID
) -> dict[str, Any]:
    cur = await conn.execute(
        "insert into public.canned_replies (workspace_id, title, text, shortcut, created_by)"  # noqa: S608 - constant columns
        " values (%(ws)s, %(title)s, %(text)s, %(shortcut)s, %(user)s)"
        f" returning {_COLUMNS}",
        {"ws": workspace_id, "title": title, "text": text, "shortcut": shortcut, "user": user_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def update_reply(
    conn: Conn, *, workspace_id: UUID, reply_id: UUID, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """`changes`: only title, text and shortcut (the caller's validated fields)."""
    allowed = {k: v for k, v in changes.items() if k in ("title", "text", "shortcut")}
    sets = ", ".join(f"{column} = %({column})s" for column in allowed)
    cur = await conn.execute(
        "update public.canned_replies set "  # noqa: S608 - column names from the allow-list
        + (sets + ", " if sets else "")
        + "updated_at = now() where workspace_id = %(ws)s and id = %(id)s"
        f" returning {_COLUMNS}",
        {"ws": workspace_id, "id": reply_id, **allowed},
    )
    return await cur.fetchone()


async def delete_reply(conn: Conn, *, workspace_id: UUID, reply_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from public.canned_replies where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": reply_id},
    )
    return cur.rowcount > 0
