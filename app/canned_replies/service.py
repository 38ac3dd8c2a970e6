"""Canned replies: managers and owners keep them, every member lists and inserts them. Each
change is in the audit log; a shortcut is unique in the workspace (409 otherwise)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from psycopg.errors import UniqueViolation

from app.audit.record import record
from app.canned_replies import repo
from app.errors import Conflict, NotFound
from app.workspaces.context import WorkspaceContext


@asynccontextmanager
async def _shortcut_unique() -> AsyncIterator[None]:
    try:
        yield
    except UniqueViolation as exc:
        raise Conflict(
            "another canned reply has this shortcut: choose another",
            error_code="shortcut_taken",
        ) from exc


async def create(
    ws: WorkspaceContext, *, title: str, text: str, shortcut: str | None
) -> dict[str, Any]:
    ws.require("manager")
    async with _shortcut_unique(), ws.session() as conn:
        row = await repo.create_reply(
            conn,
            workspace_id=ws.workspace_id,
            title=title,
            text=text,
            shortcut=shortcut,
            user_id=ws.principal.user_id,
        )
        await record(conn, ws, "canned_reply.create", "canned_reply", row["id"], title=title)
    return row


async def update(ws: WorkspaceContext, reply_id: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    ws.require("manager")
    async with _shortcut_unique(), ws.session() as conn:
        row = await repo.update_reply(
            conn, workspace_id=ws.workspace_id, reply_id=reply_id, changes=changes
        )
        if row is None:
            raise NotFound("no such canned reply", error_code="canned_reply_not_found")
        await record(
            conn, ws, "canned_reply.update", "canned_reply", reply_id, fields=sorted(changes)
        )
    return row


async def delete(ws: WorkspaceContext, reply_id: UUID) -> None:
    ws.require("manager")
    async with ws.session() as conn:
        if not await repo.delete_reply(conn, workspace_id=ws.workspace_id, reply_id=reply_id):
            raise NotFound("no such canned reply", error_code="canned_reply_not_found")
        await record(conn, ws, "canned_reply.delete", "canned_reply", reply_id)
