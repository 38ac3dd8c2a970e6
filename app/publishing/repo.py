"""SQL for publishing scheduled posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from app.db.session import Conn

# the columns a step may change
STEP_COLUMNS = (
    "status",
    "attempts",
    "container_id",
    "child_container_ids",
    "container_created_at",
    "next_attempt_at",
    "platform_media_id",
    "permalink",
    "published_at",
    "last_error",
)


async def due_posts(conn: Conn, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Posts with a step due, across workspaces (a privileged session: Beat's view)."""
    cur = await conn.execute(
        """
        select id, workspace_id
          from public.scheduled_posts
         where status in ('scheduled', 'publishing')
           and coalesce(next_attempt_at, publish_at) <= %(now)s
         order by coalesce(next_attempt_at, publish_at)
         limit %(limit)s
        """,
        {"now": now, "limit": limit},
    )
    return await cur.fetchall()


async def lock_due_post(conn: Conn, *, post_id: UUID | str, now: datetime) -> dict[str, Any] | None:
    """The post and its account, row-locked for this step; None when another worker holds it
    (SKIP LOCKED) or it is no longer due (published, cancelled, or rescheduled meanwhile)."""
    cur = await conn.execute(
        """
        select p.id, p.workspace_id, p.social_account_id, p.media_type, p.media_urls, p.caption,
               p.status, p.attempts, p.container_id, p.child_container_ids, p.container_created_at,
               p.next_attempt_at, p.publish_at,
               a.platform, a.external_id as account_external_id, a.access_token_encrypted,
               a.token_status, a.token_failures
          from public.scheduled_posts p
          join public.social_accounts a on a.id = p.social_account_id
         where p.id = %(id)s
           and p.status in ('scheduled', 'publishing')
           and coalesce(p.next_attempt_at, p.publish_at) <= %(now)s
         for update of p skip locked
        """,
        {"id": post_id, "now": now},
    )
    return await cur.fetchone()


async def apply_step(conn: Conn, *, post_id: UUID | str, changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(STEP_COLUMNS)
    assert not unknown, f"not a step column: {unknown}"
    if not changes:
        return
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
        for column in changes
    )
    await conn.execute(
        sql.SQL(
            "update public.scheduled_posts set {}, updated_at = now() where id = %(id)s"
        ).format(assignments),
        {**changes, "id": post_id},
    )
