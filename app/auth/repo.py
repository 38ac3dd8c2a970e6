"""Local accounts (embedded default). Runs in the privileged session: a stranger signing in has
no workspace yet, so no tenant session could see the table."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.errors import UniqueViolation

from app.db.session import Conn
from app.errors import Conflict


async def create_user(conn: Conn, *, email: str, password_hash: str) -> dict[str, Any]:
    try:
        async with conn.transaction():
            cur = await conn.execute(
                "insert into app_private.local_users (email, password_hash)"
                " values (%(email)s, %(hash)s) returning id, email, created_at",
                {"email": email, "hash": password_hash},
            )
            row = await cur.fetchone()
    except UniqueViolation as exc:
        raise Conflict("an account with this email exists", error_code="email_taken") from exc
    assert row is not None
    return row


async def find_user_by_email(conn: Conn, email: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, email, password_hash from app_private.local_users where lower(email) = lower(%(e)s)",
        {"e": email},
    )
    return await cur.fetchone()


async def find_user_by_id(conn: Conn, user_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, email, created_at from app_private.local_users where id = %(id)s",
        {"id": user_id},
    )
    return await cur.fetchone()
