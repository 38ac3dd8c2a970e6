"""Analytics: volume, auto-reply rate, escalations and first-response times over a chosen range,
per channel and per person."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.analytics import overview as overview_service
from app.analytics.router import daily
from app.console.charts import bars
from app.console.context import Page
from app.console.render import render
from app.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)

RANGES = (7, 30, 90)


@router.get("/analytics", response_class=HTMLResponse)
async def analytics(
    request: Request,
    console: Page,
    days: Annotated[int, Query(ge=1, le=366)] = 7,
    channel: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    today = datetime.now(ZoneInfo(console.workspace.timezone)).date()
    start = today - timedelta(days=days - 1)
    state = request.app.state
    overview = await overview_service.overview(
        console.ws,
        start=start,
        end=today,
        cache=state.redis,
        cache_s=state.settings.analytics_overview_cache_s,
    )
    rows = [
        r
        for r in await daily(request, console.ws, days=days)
        if channel is None or r.channel == channel
    ]
    per_day: dict[date, dict[str, float]] = {
        start + timedelta(days=i): {"in": 0, "auto": 0, "escalated": 0} for i in range(days)
    }
    response: dict[date, list[int]] = {}
    for row in rows:
        if row.day not in per_day:
            continue
        per_day[row.day]["in"] += row.messages_in
        per_day[row.day]["auto"] += row.auto_replied
        per_day[row.day]["escalated"] += row.escalated
        if row.median_response_ms is not None:
            response.setdefault(row.day, []).append(row.median_response_ms)
    label = "%d %b"
    members = {m.user_id: m.email for m in (await workspaces.get_workspace(console.ws)).members}
    context: dict[str, Any] = {
        "days": days,
        "ranges": RANGES,
        "channel": channel,
        "overview": overview,
        "volume": bars(
            [(d.strftime(label), v["in"]) for d, v in per_day.items()],
            title="Customer messages per day",
        ),
        "auto": bars(
            [
                (d.strftime(label), round(100 * v["auto"] / v["in"]) if v["in"] else 0)
                for d, v in per_day.items()
            ],
            title="Share answered by the bot",
            unit="%",
        ),
        "escalations": bars(
            [(d.strftime(label), v["escalated"]) for d, v in per_day.items()],
            title="Escalations per day",
        ),
        "response": bars(
            [(d.strftime(label), round(max(response.get(d, [0])) / 1000, 1)) for d in per_day],
            title="Median first response",
            unit=" s",
        ),
        "members": members,
    }
    return render(request, "analytics.html", context)
