from __future__ import annotations

from app import queue
from app.config import get_settings
from app.kb import service as kb_service
from app.kb.embeddings import EmbeddingUnavailable
from app.logging import get_logger
from workers import runtime
from workers.celery_app import celery_app

log = get_logger("workers.kb")


@celery_app.task(name=queue.INGEST_DOCUMENT, bind=True, max_retries=10, acks_late=True)
def ingest_document(self, document_id: str, workspace_id: str) -> str:  # type: ignore[no-untyped-def]
    settings = get_settings()
    try:
        return runtime.run(
            lambda r: kb_service.ingest_document(
                r.pool,
                r.kit.embedders,
                settings,
                document_id=document_id,
                workspace_id=workspace_id,
            )
        )
    except EmbeddingUnavailable as exc:
        log.warning("embedding service unavailable; will retry", document_id=document_id)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc


@celery_app.task(name=queue.REEMBED_WORKSPACE, bind=True, max_retries=10, acks_late=True)
def reembed_workspace(self, workspace_id: str) -> int:  # type: ignore[no-untyped-def]
    """After the workspace switched embedding provider: every vector again, with the new model."""
    settings = get_settings()
    try:
        return runtime.run(
            lambda r: kb_service.reembed_workspace(
                r.pool, r.kit.embedders, settings, workspace_id=workspace_id
            )
        )
    except EmbeddingUnavailable as exc:
        log.warning("embedding service unavailable; will retry", workspace_id=workspace_id)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc
