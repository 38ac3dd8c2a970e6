from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.analytics import repo
from app.deps import CurrentWorkspace
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


class DailyOut(BaseModel):
    day: date
    channel: str
    messages_in: int
    messages_out: int
    auto_replied: int
    escalated: int
    ignored: int
    hidden: int
    median_response_ms: int | None
    recovered: int = Field(
        description="messages and comments the webhooks missed, found by polling"
    )


@router.get("/daily", response_model=list[DailyOut])
@api_limit
async def daily(
    request: Request, ws: CurrentWorkspace, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[DailyOut]:
    """Per day and channel, newest first, as of the last roll-up (Beat, every ANALYTICS_ROLLUP_INTERVAL_S)."""
    async with ws.session() as conn:
        rows = await repo.daily_rows(conn, workspace_id=ws.workspace_id, days=days)
    return [DailyOut(**row) for row in rows]
