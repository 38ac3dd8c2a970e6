"""SQL for the media library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from app.db.keyset import after_key, after_params
from app.db.session import Conn

_COLUMNS = (
    "id, workspace_id, kind, content_type, size_bytes, width, height, duration_s, filename,"
    " storage_key, public_url, thumbnail_url, created_at"
)


async def insert_asset(conn: Conn, **values: Any) -> dict[str, Any]:
    cur = await conn.execute(
        f"""
        insert into public.media_assets
            (workspace_id, kind, content_type, size_bytes, width, height, duration_s, filename,
             storage_key, public_url, thumbnail_url, created_by)
        values (%(workspace_id)s, %(kind)s, %(content_type)s, %(size_bytes)s, %(width)s,
                %(height)s, %(duration_s)s, %(filename)s, %(storage_key)s, %(public_url)s,
                %(thumbnail_url)s, %(created_by)s)
        returning {_COLUMNS}
        """,  # noqa: S608 - constant columns
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def list_assets(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Newest first; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"select {_COLUMNS} from public.media_assets"  # noqa: S608 - constant columns
        f" where workspace_id = %(ws)s and {after_key('created_at, id')}"
        " order by created_at desc, id desc limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def get_assets(conn: Conn, *, workspace_id: UUID, ids: list[UUID]) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"select {_COLUMNS} from public.media_assets"  # noqa: S608 - constant columns
        " where workspace_id = %(ws)s and id = any(%(ids)s)",
        {"ws": workspace_id, "ids": ids},
    )
    return await cur.fetchall()


async def in_use(conn: Conn, *, workspace_id: UUID, asset_id: UUID) -> bool:
    """Whether a post still to be published uses it."""
    cur = await conn.execute(
        """
        select 1 from public.scheduled_posts
         where workspace_id = %(ws)s and status in ('draft', 'scheduled', 'publishing')
           and media @> jsonb_build_array(jsonb_build_object('media_id', %(id)s::text))
         limit 1
        """,
        {"ws": workspace_id, "id": str(asset_id)},
    )
    return await cur.fetchone() is not None


async def delete_asset(conn: Conn, *, workspace_id: UUID, asset_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        "delete from public.media_assets where workspace_id = %(ws)s and id = %(id)s"
        " returning storage_key, thumbnail_url",
        {"ws": workspace_id, "id": asset_id},
    )
    return await cur.fetchone()
