from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import FileResponse

from app.deps import CurrentWorkspace
from app.errors import NotFound
from app.media import service
from app.media.schemas import MediaOut
from app.pagination import CursorParam, Limit, Page
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/media", tags=["media library"])
files = APIRouter(tags=["media library"])


@router.post("", response_model=MediaOut, status_code=201)
@api_limit
async def upload_media(
    request: Request, ws: CurrentWorkspace, file: Annotated[UploadFile, File()]
) -> MediaOut:
    """Upload an image (JPEG; PNG and WebP are converted) or an MP4/MOV video (managers and
    owners). It gets a public URL that Meta fetches when a post using it is published."""
    state = request.app.state
    return await service.upload(ws, file, settings=state.settings, storage=state.media_storage)


@router.get("", response_model=Page[MediaOut])
@api_limit
async def list_media(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[MediaOut]:
    """The workspace's uploads, newest first."""
    return await service.list_media(ws, limit=limit, cursor=cursor)


@router.delete("/{media_id:uuid}", status_code=204)
@api_limit
async def delete_media(request: Request, ws: CurrentWorkspace, media_id: UUID) -> Response:
    """Refused (409 `media_in_use`) while a post still to be published uses it."""
    await service.delete(ws, media_id, storage=request.app.state.media_storage)
    return Response(status_code=204)


@files.get("/media/{key}", include_in_schema=False)
async def media_file(request: Request, key: str) -> FileResponse:
    """The public file Meta fetches (its name is the secret)."""
    path = request.app.state.media_storage.path_for(key)
    if path is None:
        raise NotFound("no such file", error_code="media_not_found")
    media_type = "video/mp4" if key.endswith(".mp4") else None
    return FileResponse(path, media_type=media_type)
