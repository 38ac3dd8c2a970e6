"""Beat's publishing of due scheduled posts (app/publishing/service.py does the work)."""

from __future__ import annotations

from typing import Any

from app import queue
from app.config import get_settings
from app.publishing.service import advance_post, publish_due_posts
from workers import runtime
from workers.celery_app import celery_app
from workers.tasks.maintenance import once_per_slot


@celery_app.task(name=queue.PUBLISH_DUE_POSTS)
def publish_due() -> dict[str, Any]:
    """Row locks already keep two runs off one post; the slot makes a second Beat's tick a
    visible no-op instead of a second pass over the queue."""
    settings = get_settings()

    async def work(r: runtime.Resources) -> dict[str, Any]:
        result = await publish_due_posts(r.pool, settings=settings, http=r.http, redis=r.redis)
        return result.as_dict()

    return once_per_slot("publish_due_posts", settings.publish_interval_s, work)


@celery_app.task(name=queue.PUBLISH_POST)
def publish_post(post_id: str, workspace_id: str) -> str:
    """A post staff asked to publish now (or retry): its steps run at once; what has to wait
    (a container still processing) is left to Beat's runs."""
    settings = get_settings()
    return runtime.run(
        lambda r: advance_post(
            r.pool,
            settings=settings,
            http=r.http,
            redis=r.redis,
            post_id=post_id,
            workspace_id=workspace_id,
        )
    )
