"""SQL for the audit log (insert only: there is no update or delete policy)."""

from __future__ import annotations

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
