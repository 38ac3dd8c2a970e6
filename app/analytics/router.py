from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.analytics import overview as overview_service
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


class ResponseTimes(BaseModel):
    count: int
    median_ms: int | None
    p90_ms: int | None


class FirstResponse(BaseModel):
    bot: ResponseTimes
    staff: ResponseTimes


class AgentReplies(BaseModel):
    user_id: UUID
    replies: int


class AnswerQuality(BaseModel):
    good: int
    wrong: int
    good_rate: float | None


class OverviewOut(BaseModel):
    model_config = {"populate_by_name": True}

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    timezone: str
    channels: dict[str, dict[str, int]] = Field(
        description="per channel: messages_in, messages_out, auto_replied"
    )
    messages_in: int
    messages_out: int
    auto_reply_rate: float | None = Field(description="the bot's decisions that were a reply")
    escalation_rate: float | None = Field(description="the bot's decisions that were escalations")
    escalations: int
    first_response: FirstResponse = Field(
        description="from each customer message to the first answer after it, by who answered"
    )
    comments_hidden: int
    posts_published: int
    posts_failed: int
    answer_quality: AnswerQuality = Field(description="staff's verdicts on the bot's replies")
    per_agent: list[AgentReplies] = Field(description="replies staff sent, per person")


@router.get("/overview", response_model=OverviewOut, response_model_by_alias=True)
@api_limit
async def overview(
    request: Request,
    ws: CurrentWorkspace,
    start: Annotated[
        date | None, Query(alias="from", description="first day; default: 6 days ago")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="last day, included; default: today")
    ] = None,
) -> Any:
    """The workspace at a glance, for days in its time zone, current to the minute (message
    volumes and response times are shared for ANALYTICS_OVERVIEW_CACHE_S seconds)."""
    state = request.app.state
    return await overview_service.overview(
        ws,
        start=start,
        end=end,
        cache=state.redis,
        cache_s=state.settings.analytics_overview_cache_s,
    )
