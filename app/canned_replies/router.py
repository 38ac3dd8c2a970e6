from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from app.canned_replies import repo, service
from app.deps import CurrentWorkspace
from app.errors import NotFound
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/canned-replies", tags=["canned replies"])

Title = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
Text = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]
Shortcut = Annotated[
    str, Field(pattern=r"^[a-z0-9_-]{1,30}$", description="typed after `/` in the console")
]


class CannedReplyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Where is my order?",
                    "text": "Orders ship within 2 working days; you get the tracking link by email.",
                    "shortcut": "shipping",
                }
            ]
        },
    )

    title: Title
    text: Text
    shortcut: Shortcut | SkipJsonSchema[None] = None


class CannedReplyUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "We ship within 24 hours."}]}
    )

    title: Title | SkipJsonSchema[None] = None
    text: Text | SkipJsonSchema[None] = None
    shortcut: Shortcut | None = Field(default=None, description="null removes it")


class CannedReplyOut(BaseModel):
    id: UUID
    title: str
    text: str
    shortcut: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@router.get("", response_model=Page[CannedReplyOut])
@api_limit
async def list_canned_replies(
    request: Request,
    ws: CurrentWorkspace,
    q: Annotated[
        str | None, Query(max_length=100, description="in title, text or shortcut")
    ] = None,
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[CannedReplyOut]:
    """The workspace's canned replies (every member), in the order they were written."""
    async with ws.session() as conn:
        rows = await repo.list_replies(
            conn,
            workspace_id=ws.workspace_id,
            query=q or None,
            limit=limit + 1,
            after=time_id_cursor(cursor),
        )
    return page_of(
        rows,
        limit=limit,
        key=lambda r: (r["created_at"], r["id"]),
        item=lambda r: CannedReplyOut(**r),
    )


@router.post("", response_model=CannedReplyOut, status_code=201)
@api_limit
async def create_canned_reply(
    request: Request, ws: CurrentWorkspace, body: CannedReplyIn
) -> CannedReplyOut:
    """Managers and owners; a shortcut already used in the workspace is a 409."""
    return CannedReplyOut(
        **await service.create(ws, title=body.title, text=body.text, shortcut=body.shortcut)
    )


@router.get("/{canned_reply_id:uuid}", response_model=CannedReplyOut)
@api_limit
async def get_canned_reply(
    request: Request, ws: CurrentWorkspace, canned_reply_id: UUID
) -> CannedReplyOut:
    async with ws.session() as conn:
        row = await repo.get_reply(conn, workspace_id=ws.workspace_id, reply_id=canned_reply_id)
    if row is None:
        raise NotFound("no such canned reply", error_code="canned_reply_not_found")
    return CannedReplyOut(**row)


@router.patch("/{canned_reply_id:uuid}", response_model=CannedReplyOut)
@api_limit
async def update_canned_reply(
    request: Request, ws: CurrentWorkspace, canned_reply_id: UUID, body: CannedReplyUpdate
) -> CannedReplyOut:
    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "text"):
        if required in changes and changes[required] is None:
            del changes[required]  # null cannot empty a required field
    return CannedReplyOut(**await service.update(ws, canned_reply_id, changes))


@router.delete("/{canned_reply_id:uuid}", status_code=204, response_class=Response)
@api_limit
async def delete_canned_reply(
    request: Request, ws: CurrentWorkspace, canned_reply_id: UUID
) -> Response:
    await service.delete(ws, canned_reply_id)
    return Response(status_code=204)
