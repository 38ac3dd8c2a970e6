"""Reading and changing a workspace's AI settings; a new embedding provider queues a re-embed."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from psycopg import sql
from psycopg.types.json import Jsonb

from app.agent.ai_settings import AiSettings, load_ai_settings
from app.audit.repo import write_audit
from app.deps import WorkspaceContext
from app.errors import AppError, ServiceUnavailable
from app.kb.embeddings import Embedders
from app.kb.service import EmbeddingStatus, embedding_status, workspace_provider
from app.queue import REEMBED_WORKSPACE, publish

# jsonb maps merged key by key (a PATCH of one channel keeps the others); the rest replaced
MERGED = frozenset({"auto_reply", "max_reply_chars", "ignore_rules"})
JSON = frozenset({"business_hours"})


class ProviderUnavailable(AppError):
    status_code = 422
    error_code = "embedding_provider_unavailable"


async def read(ws: WorkspaceContext, embedders: Embedders) -> tuple[AiSettings, EmbeddingStatus]:
    async with ws.session() as conn:
        ai = await load_ai_settings(conn, ws.workspace_id)
        status = await embedding_status(conn, embedders, ws.workspace_id)
    return ai, status


def _value(column: str, value: Any) -> sql.Composable:
    if column in MERGED:
        return sql.SQL("{} || {}").format(sql.Identifier(column), sql.Literal(Jsonb(value)))
    if column in JSON:
        return sql.Literal(Jsonb(value) if value is not None else None)
    return sql.Literal(value)


async def update(
    ws: WorkspaceContext, *, embedders: Embedders, redis: aioredis.Redis, changes: dict[str, Any]
) -> None:
    ws.require("manager")
    provider = changes.get("embedding_provider")
    if provider is not None and not embedders.available(provider):
        raise ProviderUnavailable(
            f"{provider} embeddings are not configured on this server (set its API key)"
        )
    if not changes:
        return
    async with ws.session() as conn:
        await conn.execute(
            "insert into public.ai_settings (workspace_id) values (%(ws)s) on conflict do nothing",
            {"ws": ws.workspace_id},
        )
        before = await workspace_provider(conn, ws.workspace_id)
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), _value(column, value))
            for column, value in changes.items()
        )
        await conn.execute(
            sql.SQL(
                "update public.ai_settings set {}, updated_at = now() where workspace_id = {}"
            ).format(assignments, sql.Literal(ws.workspace_id))
        )
        await write_audit(
            conn,
            workspace_id=ws.workspace_id,
            actor_user_id=ws.principal.user_id,
            action="ai_settings.update",
            target_type="ai_settings",
            target_id=str(ws.workspace_id),
            details={"fields": sorted(changes)},
        )
    if "embedding_provider" in changes and embedders.provider(before) != embedders.provider(
        provider
    ):
        await _publish_reembed(redis, ws)


async def queue_reembed(
    ws: WorkspaceContext, *, embedders: Embedders, redis: aioredis.Redis
) -> EmbeddingStatus:
    ws.require("manager")
    async with ws.session() as conn:
        status = await embedding_status(conn, embedders, ws.workspace_id)
    if not status.complete:
        await _publish_reembed(redis, ws)
    return status


async def _publish_reembed(redis: aioredis.Redis, ws: WorkspaceContext) -> None:
    if not await publish(redis, [(REEMBED_WORKSPACE, [str(ws.workspace_id)], "low")]):
        raise ServiceUnavailable(
            "saved, but the re-embedding could not be queued; retry with POST /api/agent/settings/reembed",
            error_code="queue_unavailable",
        )
