from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.audit import repo
from app.deps import CurrentWorkspace
from app.pagination import CursorParam, Limit, Page, decode_cursor, page_of
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


@router.get("", response_model=Page[AuditEntryOut])
@api_limit
async def audit_log(
    request: Request,
    ws: CurrentWorkspace,
    action: Annotated[str | None, Query(max_length=100, description="a prefix: `post.`")] = None,
    actor_user_id: Annotated[UUID | None, Query()] = None,
    target_type: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[datetime | None, Query()] = None,
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[AuditEntryOut]:
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
            before=decode_cursor(cursor, datetime.fromisoformat, int),
            limit=limit + 1,
        )
    return page_of(
        rows,
        limit=limit,
        key=lambda r: (r["created_at"], r["id"]),
        item=lambda r: AuditEntryOut(**r),
    )
