"""SQL for the audit log (insert only: there is no update or delete policy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.session import Conn


async def write_audit(
    conn: Conn,
    *,
    workspace_id: UUID,
    actor_user_id: UUID | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: Any = None,
) -> None:
    await conn.execute(
        """
        insert into public.audit_log (workspace_id, actor_user_id, action, target_type, target_id, details)
        values (%(ws)s, %(actor)s, %(action)s, %(tt)s, %(tid)s, %(details)s)
        """,
        {
            "ws": workspace_id,
            "actor": actor_user_id,
            "action": action,
            "tt": target_type,
            "tid": target_id,
            "details": Jsonb(details or {}),
        },
    )


async def list_entries(
    conn: Conn,
    *,
    workspace_id: UUID,
    action: str | None,
    actor_user_id: UUID | None,
    target_type: str | None,
    since: Any,
    before: Sequence[Any] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; `action` matches a prefix (`post.` is every post action)."""
    cur = await conn.execute(
        """
        select id, actor_user_id, action, target_type, target_id, details, created_at
          from public.audit_log
         where workspace_id = %(ws)s
           and (%(action)s::text is null or action like %(action)s || '%%')
           and (%(actor)s::uuid is null or actor_user_id = %(actor)s)
           and (%(target)s::text is null or target_type = %(target)s)
           and (%(since)s::timestamptz is null or created_at >= %(since)s)
           and (%(at)s::timestamptz is null or (created_at, id) < (%(at)s, %(id)s::bigint))
         order by created_at desc, id desc
         limit %(limit)s
        """,
        {
            "ws": workspace_id,
            "action": action,
            "actor": actor_user_id,
            "target": target_type,
            "since": since,
            "at": before[0] if before else None,
            "id": before[1] if before else None,
            "limit": limit,
        },
    )
    return await cur.fetchall()
