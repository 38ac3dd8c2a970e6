"""SQL for workspaces and members. Every query runs in a tenant session: RLS decides what is
visible; the explicit filters are there so the planner can use the tenant indexes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.db.keyset import after_key, after_params
from app.db.session import Conn


async def membership_of(
    conn: Conn, *, user_id: UUID, workspace_id: UUID | None
) -> dict[str, Any] | None:
    cur = await conn.execute(
        """
        select m.workspace_id, m.role
          from public.workspace_members m
          join public.workspaces w on w.id = m.workspace_id
         where m.user_id = %(user_id)s
           and (%(workspace_id)s::uuid is null or m.workspace_id = %(workspace_id)s::uuid)
         order by m.is_default desc, w.created_at, w.id
         limit 1
        """,
        {"user_id": user_id, "workspace_id": workspace_id},
    )
    return await cur.fetchone()


async def create_workspace(conn: Conn, *, name: str) -> UUID:
    cur = await conn.execute("select app.create_workspace(%(name)s) as id", {"name": name})
    row = await cur.fetchone()
    assert row is not None
    return row["id"]


async def update_workspace(
    conn: Conn, *, workspace_id: UUID, name: str | None, timezone: str | None
) -> dict[str, Any] | None:
    """None when the caller may not change it (RLS: owners only) or it does not exist."""
    cur = await conn.execute(
        """
        update public.workspaces
           set name = coalesce(%(name)s, name), timezone = coalesce(%(tz)s, timezone)
         where id = %(id)s
        returning id, name, timezone, created_at
        """,
        {"id": workspace_id, "name": name, "tz": timezone},
    )
    return await cur.fetchone()


async def list_workspaces(
    conn: Conn, *, user_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Oldest first; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"""
        select w.id, w.name, w.timezone, w.created_at, m.role, m.is_default
          from public.workspaces w
          join public.workspace_members m on m.workspace_id = w.id and m.user_id = %(user_id)s
         where {after_key("w.created_at, w.id", "asc")}
         order by w.created_at, w.id limit %(limit)s
        """,  # noqa: S608 - constant fragments
        {"user_id": user_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def get_workspace(conn: Conn, *, workspace_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, name, timezone, created_at from public.workspaces where id = %(id)s",
        {"id": workspace_id},
    )
    return await cur.fetchone()


async def list_members(conn: Conn, *, workspace_id: UUID) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        select user_id, email, role, created_at from public.workspace_members
         where workspace_id = %(ws)s order by created_at, user_id
        """,
        {"ws": workspace_id},
    )
    return await cur.fetchall()


async def add_member(
    conn: Conn, *, workspace_id: UUID, user_id: UUID, email: str | None, role: str
) -> dict[str, Any] | None:
    cur = await conn.execute(
        """
        insert into public.workspace_members (workspace_id, user_id, email, role)
        values (%(ws)s, %(user_id)s, %(email)s, %(role)s)
        on conflict (workspace_id, user_id) do nothing
        returning user_id, email, role, created_at
        """,
        {"ws": workspace_id, "user_id": user_id, "email": email, "role": role},
    )
    return await cur.fetchone()


async def count_owners(conn: Conn, *, workspace_id: UUID) -> int:
    cur = await conn.execute(
        "select count(*) as n from public.workspace_members where workspace_id = %(ws)s and role = 'owner'",
        {"ws": workspace_id},
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def member_role(conn: Conn, *, workspace_id: UUID, user_id: UUID) -> str | None:
    cur = await conn.execute(
        "select role from public.workspace_members where workspace_id = %(ws)s and user_id = %(u)s for update",
        {"ws": workspace_id, "u": user_id},
    )
    row = await cur.fetchone()
    return row["role"] if row else None


async def set_member_role(
    conn: Conn, *, workspace_id: UUID, user_id: UUID, role: str
) -> dict[str, Any] | None:
    cur = await conn.execute(
        """
        update public.workspace_members set role = %(role)s
         where workspace_id = %(ws)s and user_id = %(u)s
        returning user_id, email, role, created_at
        """,
        {"ws": workspace_id, "u": user_id, "role": role},
    )
    return await cur.fetchone()


async def remove_member(conn: Conn, *, workspace_id: UUID, user_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from public.workspace_members where workspace_id = %(ws)s and user_id = %(u)s",
        {"ws": workspace_id, "u": user_id},
    )
    return cur.rowcount > 0


async def set_default_workspace(conn: Conn, *, workspace_id: UUID) -> bool:
    """False when the caller is not a member of it."""
    cur = await conn.execute("select app.set_default_workspace(%(ws)s) as ok", {"ws": workspace_id})
    row: Any = await cur.fetchone()
    return bool(row["ok"])


async def delete_workspace(conn: Conn, *, workspace_id: UUID) -> bool:
    """Everything of the workspace goes with it (foreign keys cascade); RLS: owners only."""
    cur = await conn.execute(
        "delete from public.workspaces where id = %(id)s", {"id": workspace_id}
    )
    return cur.rowcount > 0


_INVITE_COLUMNS = (
    "id, workspace_id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at"
)


async def create_invite(
    conn: Conn,
    *,
    workspace_id: UUID,
    email: str,
    role: str,
    token_hash: str,
    invited_by: UUID,
    ttl_s: float,
) -> dict[str, Any]:
    """A new invite replaces one still pending for the same address (its link stops working)."""
    await conn.execute(
        """
        update public.workspace_invites set revoked_at = now()
         where workspace_id = %(ws)s and lower(email) = lower(%(email)s)
           and accepted_at is null and revoked_at is null
        """,
        {"ws": workspace_id, "email": email},
    )
    cur = await conn.execute(
        f"""
        insert into public.workspace_invites
            (workspace_id, email, role, token_hash, invited_by, expires_at)
        values (%(ws)s, %(email)s, %(role)s, %(hash)s, %(by)s,
                now() + make_interval(secs => %(ttl)s::float8))
        returning {_INVITE_COLUMNS}
        """,  # noqa: S608 - constant columns
        {
            "ws": workspace_id,
            "email": email,
            "role": role,
            "hash": token_hash,
            "by": invited_by,
            "ttl": ttl_s,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def list_invites(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Newest first; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"select {_INVITE_COLUMNS} from public.workspace_invites"  # noqa: S608 - constant columns
        f" where workspace_id = %(ws)s and {after_key('created_at, id')}"
        " order by created_at desc, id desc limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def revoke_invite(
    conn: Conn, *, workspace_id: UUID, invite_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"""
        update public.workspace_invites set revoked_at = coalesce(revoked_at, now())
         where workspace_id = %(ws)s and id = %(id)s and accepted_at is null
        returning {_INVITE_COLUMNS}
        """,  # noqa: S608 - constant columns
        {"ws": workspace_id, "id": invite_id},
    )
    return await cur.fetchone()


async def accept_invite(conn: Conn, *, token_hash: str) -> dict[str, Any]:
    """{outcome, workspace_id, role}: joined, not_found, revoked, used, expired, wrong_email."""
    cur = await conn.execute("select * from app.accept_invite(%(hash)s)", {"hash": token_hash})
    row = await cur.fetchone()
    assert row is not None
    return row


async def invite_by_token(conn: Conn, *, token_hash: str) -> dict[str, Any] | None:
    """For the invite page (privileged: the visitor is not a member yet)."""
    cur = await conn.execute(
        """
        select i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at, w.name as workspace_name
          from public.workspace_invites i join public.workspaces w on w.id = i.workspace_id
         where i.token_hash = %(hash)s
        """,
        {"hash": token_hash},
    )
    return await cur.fetchone()
