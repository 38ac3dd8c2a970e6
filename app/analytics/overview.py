"""The seed's analytics overview: messages in and out per channel, the bot's auto-reply and
escalation rates, first-response times (bot and staff: median and p90), comments hidden, posts
published and failed, staff replies per person; for days in the workspace's time zone, computed
on read so today is current to the minute."""

from __future__ import annotations

import contextlib
import json
import statistics
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.analytics import repo
from app.errors import InvalidInput
from app.workspaces import repo as workspaces_repo
from app.workspaces.context import WorkspaceContext

MAX_DAYS = 366


def _percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median_ms": None, "p90_ms": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"count": len(ordered), "median_ms": int(statistics.median(ordered)), "p90_ms": int(p90)}


def _range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The days asked for: the last seven up to `end` (today) unless given."""
    last = end or today
    first = start or last - timedelta(days=6)
    if first > last or (last - first).days >= MAX_DAYS:
        raise InvalidInput(
            f"from must be on or before to, at most {MAX_DAYS} days apart",
            error_code="invalid_range",
        )
    return first, last


async def overview(
    ws: WorkspaceContext,
    *,
    start: date | None,
    end: date | None,
    cache: aioredis.Redis | None = None,
    cache_s: float = 0,
) -> dict[str, Any]:
    """With `cache`, the message figures (volumes and first-response times: reading every
    message of the range) are shared for `cache_s` seconds by everyone asking about the same days
    (staff opening the page together); the rest (decisions, escalations, verdicts, staff's
    replies, posts) is counted afresh, so what staff just did shows at once."""
    async with ws.session() as conn:
        workspace = await workspaces_repo.get_workspace(conn, workspace_id=ws.workspace_id)
        zone = ZoneInfo(workspace["timezone"] if workspace else "UTC")
        first, last = _range(start, end, today=datetime.now(zone).date())
        since = datetime.combine(first, datetime.min.time(), zone)
        until = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
        activity = await repo.activity_figures(
            conn, workspace_id=ws.workspace_id, start=since, end=until
        )
    # the shared cache is asked with no database connection held: a stalled Redis costs this
    # request its socket timeout, never a connection of the pool
    key = f"analytics:overview:{ws.workspace_id}:{zone}:{first}:{last}"
    shared = cache if cache_s > 0 else None
    messages = await _cached(shared, key) if shared is not None else None
    if messages is None:
        async with ws.session() as conn:
            messages = await repo.message_figures(
                conn, workspace_id=ws.workspace_id, start=since, end=until
            )
        if shared is not None:
            await _remember(shared, key, messages, cache_s)
    return _summary({**messages, **activity}, first=first, last=last, zone=zone)


async def _cached(cache: aioredis.Redis, key: str) -> dict[str, Any] | None:
    try:
        raw = await cache.get(key)
    except RedisError:
        return None  # the cache is a convenience: without Redis the figures are computed
    return None if raw is None else dict(json.loads(raw))


async def _remember(cache: aioredis.Redis, key: str, figures: dict[str, Any], ttl_s: float) -> None:
    with contextlib.suppress(RedisError):
        await cache.set(key, json.dumps(figures), px=int(ttl_s * 1000))


def _summary(raw: dict[str, Any], *, first: date, last: date, zone: ZoneInfo) -> dict[str, Any]:
    decisions = {row["decision"]: int(row["n"]) for row in raw["decisions"]}
    decided = sum(decisions.values())
    channels = {
        row["channel"]: {k: int(row[k]) for k in ("messages_in", "messages_out", "auto_replied")}
        for row in raw["channels"]
    }
    by_sender: dict[str, list[float]] = {"bot": [], "human": []}
    for row in raw["responses"]:
        by_sender.setdefault(row["sender"], []).append(float(row["ms"]))
    counts = {k: int(v) for k, v in raw["counts"].items()}
    return {
        "from": first,
        "to": last,
        "timezone": str(zone),
        "channels": channels,
        "messages_in": sum(c["messages_in"] for c in channels.values()),
        "messages_out": sum(c["messages_out"] for c in channels.values()),
        "auto_reply_rate": round(decisions.get("respond", 0) / decided, 3) if decided else None,
        "escalation_rate": round(decisions.get("escalate", 0) / decided, 3) if decided else None,
        "escalations": counts["escalations"],
        "first_response": {
            "bot": _percentiles(by_sender["bot"]),
            "staff": _percentiles(by_sender["human"]),
        },
        "comments_hidden": counts["comments_hidden"],
        "posts_published": counts["posts_published"],
        "posts_failed": counts["posts_failed"],
        # staff's verdicts on the bot's replies (POST /api/decisions/{id}/feedback)
        "answer_quality": {
            "good": counts["answers_good"],
            "wrong": counts["answers_wrong"],
            "good_rate": round(counts["answers_good"] / rated, 3)
            if (rated := counts["answers_good"] + counts["answers_wrong"])
            else None,
        },
        "per_agent": [
            {"user_id": row["user_id"], "replies": int(row["replies"])} for row in raw["per_agent"]
        ],
    }
