from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.audit import repo
from app.deps import CurrentWorkspace
from app.pagination import decode_cursor, encode_cursor
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/audit-log", tags=["audit log"])


class AuditEntryOut(BaseModel):
    id: int
    actor_user_id: UUID | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


@router.get("", response_model=AuditPage)
@api_limit
async def audit_log(
    request: Request,
    ws: CurrentWorkspace,
    action: Annotated[str | None, Query(max_length=100, description="a prefix: `post.`")] = None,
    actor_user_id: Annotated[UUID | None, Query()] = None,
    target_type: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[datetime | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Who did what in the workspace, newest first (owners and managers); actions by Meta or
    the bot have no actor."""
    ws.require("manager")
    async with ws.session() as conn:
        rows = await repo.list_entries(
            conn,
            workspace_id=ws.workspace_id,
            action=action,
            actor_user_id=actor_user_id,
            target_type=target_type,
            since=since,
            before=decode_cursor(cursor),
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows and more else None
    return AuditPage(
        items=[AuditEntryOut(**row) for row in rows],
        next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None,
    )
