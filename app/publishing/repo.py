"""SQL for publishing scheduled posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from app.db.keyset import after_key, after_params
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
               p.next_attempt_at, p.publish_at, p.cover_url, p.share_to_feed,
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


# ---------------------------------------------------------------- scheduling (the API)

_POST = """
    p.id, p.workspace_id, p.social_account_id as account_id, p.media_type, p.caption, p.media,
    p.media_urls, p.publish_at, p.status, p.attempts, p.platform_media_id, p.permalink,
    p.published_at, p.last_error, p.next_attempt_at, p.cover_url, p.share_to_feed,
    p.created_at, p.updated_at, a.token_expires_at
"""
_FROM = " from public.scheduled_posts p join public.social_accounts a on a.id = p.social_account_id"
EDITABLE = ("draft", "scheduled")


async def insert_post(conn: Conn, *, values: dict[str, Any]) -> dict[str, Any]:
    cur = await conn.execute(
        """
        insert into public.scheduled_posts
            (workspace_id, social_account_id, media_type, caption, media, media_urls,
             publish_at, status, cover_url, share_to_feed, created_by, updated_by)
        values (%(workspace_id)s, %(account_id)s, %(media_type)s, %(caption)s, %(media)s,
                %(media_urls)s, %(publish_at)s, %(status)s, %(cover_url)s, %(share_to_feed)s,
                %(by)s, %(by)s)
        returning id
        """,
        values,
    )
    row: Any = await cur.fetchone()
    post = await get_post(conn, workspace_id=values["workspace_id"], post_id=row["id"])
    assert post is not None
    return post


async def get_post(
    conn: Conn, *, workspace_id: UUID, post_id: UUID, for_update: bool = False
) -> dict[str, Any] | None:
    lock = " for update of p" if for_update else ""
    cur = await conn.execute(
        f"select {_POST}{_FROM} where p.workspace_id = %(ws)s and p.id = %(id)s{lock}",
        {"ws": workspace_id, "id": post_id},
    )
    return await cur.fetchone()


async def list_posts(
    conn: Conn,
    *,
    workspace_id: UUID,
    status: str | None,
    account_id: UUID | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """The calendar's query: by status, account and a time range, in time order; `after` is
    the previous page's last (publish_at, id)."""
    cur = await conn.execute(
        f"""
        select {_POST}{_FROM}
         where p.workspace_id = %(ws)s
           and (%(status)s::text is null or p.status = %(status)s)
           and (%(account)s::uuid is null or p.social_account_id = %(account)s)
           and (%(start)s::timestamptz is null or p.publish_at >= %(start)s)
           and (%(end)s::timestamptz is null or p.publish_at < %(end)s)
           and {after_key("p.publish_at, p.id", "asc")}
         order by p.publish_at, p.id
         limit %(limit)s
        """,
        {
            "ws": workspace_id,
            "status": status,
            "account": account_id,
            "start": start,
            "end": end,
            "limit": limit,
            **after_params(after),
        },
    )
    return await cur.fetchall()


_CHANGEABLE = (
    "media_type",
    "caption",
    "media",
    "media_urls",
    "publish_at",
    "status",
    "cover_url",
    "share_to_feed",
    "attempts",
    "next_attempt_at",
    "last_error",
    "container_id",
    "child_container_ids",
    "container_created_at",
    "updated_by",
)


async def change_post(
    conn: Conn, *, workspace_id: UUID, post_id: UUID, changes: dict[str, Any]
) -> dict[str, Any] | None:
    unknown = set(changes) - set(_CHANGEABLE)
    assert not unknown, f"not a changeable column: {unknown}"
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
        for column in changes
    )
    await conn.execute(
        sql.SQL(
            "update public.scheduled_posts set {}, updated_at = now()"
            " where workspace_id = %(ws)s and id = %(id)s"
        ).format(assignments),
        {**changes, "ws": workspace_id, "id": post_id},
    )
    return await get_post(conn, workspace_id=workspace_id, post_id=post_id)


async def due_within(conn: Conn, *, account_id: UUID, until: datetime) -> int:
    cur = await conn.execute(
        "select count(*) as n from public.scheduled_posts where social_account_id = %(a)s"
        " and status in ('scheduled', 'publishing') and publish_at < %(until)s",
        {"a": account_id, "until": until},
    )
    row: Any = await cur.fetchone()
    return int(row["n"])
