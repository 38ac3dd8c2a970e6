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
                " values (%(email)s, %(hash)s) returning id, email, created_at, session_epoch",
                {"email": email, "hash": password_hash},
            )
            row = await cur.fetchone()
    except UniqueViolation as exc:
        raise Conflict("an account with this email exists", error_code="email_taken") from exc
    assert row is not None
    return row


async def find_user_by_email(conn: Conn, email: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, email, password_hash, session_epoch from app_private.local_users"
        " where lower(email) = lower(%(e)s)",
        {"e": email},
    )
    return await cur.fetchone()


_USER_BY_ID = (
    "select id, email, created_at, password_hash, session_epoch"
    " from app_private.local_users where id = %(id)s"
)


async def find_user_by_id(
    conn: Conn, user_id: UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = _USER_BY_ID + " for update" if for_update else _USER_BY_ID
    cur = await conn.execute(query, {"id": user_id})
    return await cur.fetchone()


async def set_password(conn: Conn, *, user_id: UUID, password_hash: str) -> int:
    """Every refresh token issued before stops working (a reset is often done because someone
    else knows the old password). Returns the new session epoch."""
    cur = await conn.execute(
        "update app_private.local_users set password_hash = %(hash)s,"
        " session_epoch = session_epoch + 1 where id = %(id)s returning session_epoch",
        {"id": user_id, "hash": password_hash},
    )
    row: Any = await cur.fetchone()
    return int(row["session_epoch"])


async def revoke_refresh_token(conn: Conn, *, jti: str, expires_at: int) -> None:
    await conn.execute(
        "insert into app_private.revoked_refresh_tokens (jti, expires_at)"
        " values (%(jti)s, to_timestamp(%(exp)s)) on conflict (jti) do nothing",
        {"jti": jti, "exp": expires_at},
    )


async def refresh_token_revoked(conn: Conn, *, jti: str) -> bool:
    cur = await conn.execute(
        "select 1 from app_private.revoked_refresh_tokens where jti = %(jti)s", {"jti": jti}
    )
    return await cur.fetchone() is not None


async def forget_expired_revocations(conn: Conn, *, limit: int) -> int:
    """A revoked token past its expiry is refused by its `exp` alone."""
    cur = await conn.execute(
        """
        delete from app_private.revoked_refresh_tokens where jti in (
            select jti from app_private.revoked_refresh_tokens where expires_at < now() limit %(n)s)
        """,
        {"n": limit},
    )
    return cur.rowcount
