"""Staff working the comments: see what customers wrote under posts and what the bot did with
each, answer publicly or privately (through the outbox, exactly once, like every send), hide or
unhide (an undo of the bot's hide too), delete. Every action is audited."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import httpx
import redis.asyncio as aioredis

from app.audit.record import record
from app.comments import repo
from app.config import Settings
from app.errors import NotFound, ServiceUnavailable
from app.outbound import repo as outbound_repo
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import GraphAPIError
from app.platforms.meta.instagram import InstagramClient
from app.queue import SEND_OUTBOUND, publish
from app.workspaces.context import WorkspaceContext


def status_of(row: dict[str, Any]) -> str:
    if row["hidden"]:
        return "hidden"
    if row["replied_at"] or row["private_replied_at"]:
        return "answered"
    if row["escalated"]:
        return "escalated"
    return "pending"


async def _comment(conn: Any, ws: WorkspaceContext, comment_id: UUID) -> dict[str, Any]:
    row = await repo.get_comment(conn, workspace_id=ws.workspace_id, comment_id=comment_id)
    if row is None:
        raise NotFound("no such comment in this workspace", error_code="comment_not_found")
    return row


async def reply(
    ws: WorkspaceContext,
    comment_id: UUID,
    *,
    text: str,
    private: bool,
    settings: Settings,
    redis: aioredis.Redis,
    idempotency_key: str | None,
) -> dict[str, Any]:
    async with ws.session() as conn:
        comment = await _comment(conn, ws, comment_id)
        row = await outbound_repo.create_outbound(
            conn,
            workspace_id=ws.workspace_id,
            conversation_id=comment["conversation_id"],
            social_account_id=comment["account_id"],
            idempotency_key=f"staff-comment:{comment_id}:{idempotency_key or uuid.uuid4()}",
            kind="private_reply" if private else "comment_reply",
            recipient=comment["platform_comment_id"],
            payload={"text": text},
            sender="human",
            lease_s=settings.send_lease_s,
        )
        if row["created"]:
            await record(conn, ws, "comment.reply", "comment", comment_id, private=private)
    if row["created"]:
        await publish(redis, [(SEND_OUTBOUND, [str(row["id"]), str(ws.workspace_id)])])
    return row


async def _graph(
    comment: dict[str, Any], settings: Settings, http: httpx.AsyncClient, redis: aioredis.Redis
) -> InstagramClient:
    client = clients_for(comment, settings=settings, http=http, redis=redis)
    assert isinstance(client, InstagramClient)
    return client


def _meta_failed(exc: GraphAPIError) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Instagram did not do it ({exc.message}); try again in a moment",
        error_code="meta_unavailable",
    )


async def set_hidden(
    ws: WorkspaceContext,
    comment_id: UUID,
    *,
    hidden: bool,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
) -> dict[str, Any]:
    """Hidden on Instagram first, then here: the row never says hidden when Meta did not."""
    async with ws.session() as conn:
        comment = await _comment(conn, ws, comment_id)
    try:
        await (await _graph(comment, settings, http, redis)).hide_comment(
            comment["platform_comment_id"], hidden
        )
    except GraphAPIError as exc:
        raise _meta_failed(exc) from exc
    async with ws.session() as conn:
        await repo.set_hidden(conn, comment_id=comment_id, hidden=hidden)
        action = "comment.hidden" if hidden else "comment.unhidden"
        await record(conn, ws, action, "comment", comment_id)
        return await _comment(conn, ws, comment_id)


async def delete(
    ws: WorkspaceContext,
    comment_id: UUID,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
) -> None:
    ws.require("manager")
    async with ws.session() as conn:
        comment = await _comment(conn, ws, comment_id)
    try:
        await (await _graph(comment, settings, http, redis)).delete_comment(
            comment["platform_comment_id"]
        )
    except GraphAPIError as exc:
        raise _meta_failed(exc) from exc
    async with ws.session() as conn:
        await repo.delete_comment(conn, comment_id=comment_id)
        await record(conn, ws, "comment.deleted", "comment", comment_id, text=comment["text"])
