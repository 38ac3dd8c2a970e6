"""The media library: uploads checked from their bytes, stored under an unguessable public URL
(Meta fetches media by URL), with a thumbnail for the calendar; a file still used by a post to
be published cannot be deleted."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import UploadFile

from app.config import Settings
from app.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from app.media import repo
from app.media.inspect import inspect_media
from app.media.schemas import MediaOut
from app.media.storage import MediaStorage
from app.pagination import Page, page_of, time_id_cursor
from app.workspaces.context import WorkspaceContext


def _size(upload: UploadFile) -> int:
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


async def upload(
    ws: WorkspaceContext, file: UploadFile, *, settings: Settings, storage: MediaStorage
) -> MediaOut:
    ws.require("manager")
    # the upload is on disk past a megabyte (Starlette spools it): it is read where it is
    size = await asyncio.to_thread(_size, file)
    if not size:
        raise InvalidInput("the file is empty", error_code="media_empty")
    cap = max(settings.media_max_image_bytes, settings.media_max_video_bytes)
    if size > cap:
        raise PayloadTooLarge(
            f"the file is over {cap // (1024 * 1024)} MB, Meta's limit",
            error_code="media_too_large",
        )
    found = await asyncio.to_thread(
        inspect_media, file.file, max_image_bytes=settings.media_max_image_bytes
    )
    key = storage.new_key(found.extension)
    if found.data is not None:
        url = await storage.save(key, found.data, found.content_type)
    else:
        file.file.seek(0)
        url = await storage.save_file(key, file.file, found.content_type)
    thumb_url = None
    if found.thumbnail is not None:
        thumb_url = await storage.save(
            key.rsplit(".", 1)[0] + "_thumb.jpg", found.thumbnail, "image/jpeg"
        )
    async with ws.session() as conn:
        row = await repo.insert_asset(
            conn,
            workspace_id=ws.workspace_id,
            kind=found.kind,
            content_type=found.content_type,
            size_bytes=len(found.data) if found.data is not None else size,
            width=found.width,
            height=found.height,
            duration_s=found.duration_s,
            filename=(file.filename or "")[:200] or None,
            storage_key=key,
            public_url=url,
            thumbnail_url=thumb_url,
            created_by=ws.principal.user_id,
        )
    return MediaOut(**row)


async def list_media(ws: WorkspaceContext, *, limit: int, cursor: str | None) -> Page[MediaOut]:
    async with ws.session() as conn:
        rows = await repo.list_assets(
            conn, workspace_id=ws.workspace_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: MediaOut(**r)
    )


async def assets(ws: WorkspaceContext, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    async with ws.session() as conn:
        rows = await repo.get_assets(conn, workspace_id=ws.workspace_id, ids=ids)
    return {row["id"]: row for row in rows}


async def delete(ws: WorkspaceContext, asset_id: UUID, *, storage: MediaStorage) -> None:
    ws.require("manager")
    async with ws.session() as conn:
        if await repo.in_use(conn, workspace_id=ws.workspace_id, asset_id=asset_id):
            raise Conflict(
                "a post still to be published uses this file: change or cancel the post first",
                error_code="media_in_use",
            )
        row = await repo.delete_asset(conn, workspace_id=ws.workspace_id, asset_id=asset_id)
    if row is None:
        raise NotFound("no such file in this workspace", error_code="media_not_found")
    await storage.delete(row["storage_key"])
    if row["thumbnail_url"]:
        await storage.delete(row["storage_key"].rsplit(".", 1)[0] + "_thumb.jpg")
