"""An action a person took in a workspace, written to its audit log."""

from __future__ import annotations

from typing import Any

from app.audit.repo import write_audit
from app.db.session import Conn
from app.workspaces.context import WorkspaceContext


async def record(
    conn: Conn,
    ws: WorkspaceContext,
    action: str,
    target_type: str,
    target_id: object,
    **details: Any,
) -> None:
    await write_audit(
        conn,
        workspace_id=ws.workspace_id,
        actor_user_id=ws.principal.user_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
