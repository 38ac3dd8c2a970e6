"""Reading and changing a workspace's AI settings; a new embedding provider queues a re-embed."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from app.agent import settings_repo
from app.agent.ai_settings import AiSettings, load_ai_settings
from app.audit.repo import write_audit
from app.errors import AppError, ServiceUnavailable
from app.kb.embeddings import Embedders
from app.kb.service import EmbeddingStatus, embedding_status, workspace_provider
from app.queue import REEMBED_WORKSPACE, publish
from app.workspaces.context import WorkspaceContext


class ProviderUnavailable(AppError):
    status_code = 422
    error_code = "embedding_provider_unavailable"


async def read(ws: WorkspaceContext, embedders: Embedders) -> tuple[AiSettings, EmbeddingStatus]:
    async with ws.session() as conn:
        ai = await load_ai_settings(conn, ws.workspace_id)
        status = await embedding_status(conn, embedders, ws.workspace_id)
    return ai, status


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
        before = await workspace_provider(conn, ws.workspace_id)
        await settings_repo.update_settings(conn, ws.workspace_id, changes)
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
    if not await publish(redis, [(REEMBED_WORKSPACE, [str(ws.workspace_id)])]):
        raise ServiceUnavailable(
            "saved, but the re-embedding could not be queued; retry with POST /api/agent/settings/reembed",
            error_code="queue_unavailable",
        )
