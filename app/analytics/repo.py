"""SQL for reading the daily roll-ups (`analytics_daily`; written by rollup.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db.session import Conn


async def daily_rows(conn: Conn, *, workspace_id: UUID | str, days: int) -> list[dict[str, Any]]:
    """Per day and channel for the last `days` days, newest first."""
    cur = await conn.execute(
        """
        select day, channel, messages_in, messages_out, auto_replied, escalated, ignored, hidden,
               median_response_ms, recovered
          from public.analytics_daily
         where workspace_id = %(ws)s and day >= current_date - %(days)s::int
         order by day desc, channel
        """,
        {"ws": workspace_id, "days": days},
    )
    return await cur.fetchall()
