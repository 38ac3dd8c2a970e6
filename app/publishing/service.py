"""Publishing due scheduled posts, a step at a time (META.md §3).

A post moves `scheduled` -> `publishing` (its container is made: for a carousel, the items first,
then the parent once every item is FINISHED) -> `published` (the container was FINISHED and
`media_publish` returned the media id). Each step runs in its own transaction holding the post's
row lock (`FOR UPDATE SKIP LOCKED`: two Beats or workers never work on one post at once) and
commits what it learnt before the next call, so a crash repeats at most one step.

Never twice: `media_publish` is called only right after the container reported FINISHED. A
publish whose answer was lost (timeout, crash before the commit) leaves the container PUBLISHED,
which the next step reads, and the media is then found among the account's recent media instead
of being published again.

Failures: media Meta could not fetch, a container in ERROR or EXPIRED, one that never finishes,
a server error: the attempt counts and the post is tried again after a doubling wait, up to
PUBLISH_MAX_ATTEMPTS, then `failed` with the reason (containers are made anew only when Meta said
the old ones can never be published). The account's publishing limit and throttling only
postpone the step; a revoked token or a request Meta will never accept fails the post at once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import redis.asyncio as aioredis

from app.audit.repo import write_audit
from app.config import Settings
from app.db.session import Claims, Pool, privileged_session, tenant_session
from app.integrations import events as integration_events
from app.live import events as live
from app.logging import get_logger
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import (
    GraphAPIError,
    PermanentError,
    ThrottledError,
    TokenExpiredError,
    UnknownOutcome,
)
from app.platforms.meta.instagram import InstagramClient
from app.publishing import repo
from app.social_accounts import token_health

log = get_logger("publishing")

VIDEO_SUFFIXES = (".mp4", ".mov")
# Graph errors that are worth another attempt although Meta does not mark them transient
MEDIA_FETCH_FAILED = (9004, 2207052)  # Meta could not fetch the media; comes and goes
NOT_READY = (9007, 2207027)  # published before the container was FINISHED
OVER_LIMIT = (9, 2207042)  # the account's 24-hour publishing limit
# a step that moved the post on is followed at once by the next (an image is usually FINISHED
# by the time its container id is stored), up to this many per post and run
STEPS_PER_RUN = 4


@dataclass
class Step:
    """What one step learnt: the row's new values, and whether the next step may follow now."""

    changes: dict[str, Any] = field(default_factory=dict)
    again: bool = False
    outcome: str = "waiting"
    # Meta refused the account's token: counted against the account (token_health)
    refused: GraphAPIError | None = None


@dataclass(frozen=True)
class PublishRun:
    due: int = 0
    published: int = 0
    failed: int = 0
    retrying: int = 0
    waiting: int = 0
    # held by another worker, or no longer due when its turn came
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _is_video(url: str) -> bool:
    return url.lower().split("?", 1)[0].endswith(VIDEO_SUFFIXES)


async def _make_container(client: InstagramClient, post: dict[str, Any], url: str) -> str:
    media_type, caption = post["media_type"], post["caption"] or None
    if media_type == "REELS":
        return await client.create_container(
            media_type="REELS",
            video_url=url,
            caption=caption,
            cover_url=post.get("cover_url"),
            share_to_feed=post.get("share_to_feed"),
        )
    if media_type == "STORIES":
        if _is_video(url):
            return await client.create_container(media_type="STORIES", video_url=url)
        return await client.create_container(media_type="STORIES", image_url=url)
    return await client.create_container(image_url=url, caption=caption)


async def _make_items(client: InstagramClient, urls: list[str]) -> list[str]:
    items = []
    for url in urls:
        if _is_video(url):
            items.append(
                await client.create_container(
                    media_type="VIDEO", video_url=url, is_carousel_item=True
                )
            )
        else:
            items.append(await client.create_container(image_url=url, is_carousel_item=True))
    return items


def _attempt_failed(
    post: dict[str, Any],
    reason: str,
    settings: Settings,
    now: datetime,
    *,
    keep_containers: bool = False,
) -> Step:
    """Count a failed attempt: try again after a doubling wait, or give up with the reason.

    Containers are dropped only when Meta said they can never be published (ERROR, EXPIRED, or
    never finished); after an error talking to Meta they are kept, since a publish whose answer
    was lost may have used them, and only their status can tell."""
    attempts = post["attempts"] + 1
    changes: dict[str, Any] = {"attempts": attempts, "last_error": reason}
    if not keep_containers:
        changes.update(
            status="scheduled", container_id=None, child_container_ids=[], container_created_at=None
        )
    if attempts >= settings.publish_max_attempts:
        return Step({**changes, "status": "failed", "next_attempt_at": None}, outcome="failed")
    wait = settings.publish_retry_base_s * 2 ** (attempts - 1)
    return Step({**changes, "next_attempt_at": now + timedelta(seconds=wait)}, outcome="retrying")


def _token_failed(exc: GraphAPIError) -> Step:
    return Step(
        {
            "status": "failed",
            "next_attempt_at": None,
            "last_error": f"reconnect the account: {exc}",
        },
        outcome="failed",
    )


def _wait(seconds: float, now: datetime, note: str | None = None) -> Step:
    changes: dict[str, Any] = {"next_attempt_at": now + timedelta(seconds=seconds)}
    if note is not None:
        changes["last_error"] = note
    return Step(changes)


def _timed_out(post: dict[str, Any], settings: Settings, now: datetime) -> bool:
    made = post["container_created_at"]
    return made is not None and (now - made).total_seconds() > settings.publish_container_timeout_s


async def _start(
    client: InstagramClient, post: dict[str, Any], settings: Settings, now: datetime
) -> Step:
    urls = [str(u) for u in post["media_urls"] or []]
    if not urls:
        return Step(
            {"status": "failed", "last_error": "the post has no media to publish"},
            outcome="failed",
        )
    limit = await client.publishing_limit()
    total = (limit.get("config") or {}).get("quota_total")
    if total is not None and int(limit.get("quota_usage", 0)) >= int(total):
        return _wait(
            settings.publish_quota_retry_s,
            now,
            f"the account's publishing limit ({total} in 24 h) is reached; waiting",
        )
    made: dict[str, Any] = {"status": "publishing", "container_created_at": now}
    if post["media_type"] == "CAROUSEL":
        made["child_container_ids"] = await _make_items(client, urls[:10])
    else:
        made["container_id"] = await _make_container(client, post, urls[0])
    return Step({**made, "next_attempt_at": None, "last_error": None}, again=True)


async def _carousel_parent(
    client: InstagramClient, post: dict[str, Any], settings: Settings, now: datetime
) -> Step:
    statuses = [await client.container_status(c) for c in post["child_container_ids"]]
    broken = [s for s in statuses if s in ("ERROR", "EXPIRED")]
    if broken:
        return _attempt_failed(post, f"a carousel item's container is {broken[0]}", settings, now)
    if any(s != "FINISHED" for s in statuses):
        if _timed_out(post, settings, now):
            return _attempt_failed(post, "carousel items still processing", settings, now)
        return _wait(settings.publish_poll_interval_s, now)
    parent = await client.create_container(
        media_type="CAROUSEL",
        children=list(post["child_container_ids"]),
        caption=post["caption"] or None,
    )
    return Step({"container_id": parent}, again=True)


async def _find_published(client: InstagramClient, post: dict[str, Any]) -> str | None:
    """The media a lost publish created: the newest of the account's media with the caption."""
    for media in await client.list_media():
        if (media.get("caption") or "") == (post["caption"] or ""):
            return str(media["id"])
    return None


async def _published(client: InstagramClient, media_id: str | None, now: datetime) -> Step:
    permalink = None
    if media_id is not None:
        try:
            permalink = (await client.media(media_id)).get("permalink")
        except GraphAPIError as exc:
            # the post is out; only its link is missing
            log.warning("permalink unavailable", media_id=media_id, error=str(exc))
    return Step(
        {
            "status": "published",
            "platform_media_id": media_id,
            "permalink": permalink,
            "published_at": now,
            "next_attempt_at": None,
            "last_error": None,
        },
        outcome="published",
    )


async def _finish(
    client: InstagramClient, post: dict[str, Any], settings: Settings, now: datetime
) -> Step:
    status = await client.container_status(post["container_id"])
    if status == "PUBLISHED":
        # an earlier publish went through but its answer was lost: never publish again
        return await _published(client, await _find_published(client, post), now)
    if status in ("ERROR", "EXPIRED"):
        return _attempt_failed(post, f"the media container is {status}", settings, now)
    if status != "FINISHED":
        if _timed_out(post, settings, now):
            return _attempt_failed(post, "the media container never finished", settings, now)
        return _wait(settings.publish_poll_interval_s, now)
    try:
        media_id = await client.publish(post["container_id"])
    except UnknownOutcome:
        # the container's status tells on the next step whether it went out
        return _wait(settings.publish_poll_interval_s, now)
    return await _published(client, media_id, now)


async def _step(
    post: dict[str, Any],
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    now: datetime,
) -> Step:
    try:
        # clients_for refuses an account without a usable token (TokenExpiredError)
        client = clients_for(post, settings=settings, http=http, redis=redis)
        if not isinstance(client, InstagramClient):
            return Step(
                {"status": "failed", "last_error": "only Instagram accounts publish posts"},
                outcome="failed",
            )
        if post["status"] == "scheduled":
            return await _start(client, post, settings, now)
        if post["container_id"] is None:
            return await _carousel_parent(client, post, settings, now)
        return await _finish(client, post, settings, now)
    except TokenExpiredError as exc:
        if exc.status is None:  # no stored token: nothing to try until it is reconnected
            return _token_failed(exc)
        # one refusal may be Meta's glitch: tried again, and failed once the account is flagged
        retry = _attempt_failed(
            post, str(exc), settings, now, keep_containers=post["status"] == "publishing"
        )
        return Step(retry.changes, outcome=retry.outcome, refused=exc)
    except ThrottledError as exc:
        return _wait(exc.retry_after_s or settings.publish_retry_base_s, now, str(exc))
    except GraphAPIError as exc:
        if (exc.code, exc.subcode) == OVER_LIMIT:
            return _wait(settings.publish_quota_retry_s, now, str(exc))
        if (exc.code, exc.subcode) == NOT_READY:
            return _wait(settings.publish_poll_interval_s, now)
        if isinstance(exc, PermanentError) and (exc.code, exc.subcode) != MEDIA_FETCH_FAILED:
            return Step({"status": "failed", "last_error": str(exc)}, outcome="failed")
        return _attempt_failed(
            post, str(exc), settings, now, keep_containers=post["status"] == "publishing"
        )


async def advance_post(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    post_id: UUID | str,
    workspace_id: UUID | str,
    now: datetime | None = None,
) -> str:
    """Move one post on by as many steps as are ready now; its outcome for this run."""
    outcome = "skipped"
    for _ in range(STEPS_PER_RUN):
        at = now or datetime.now(UTC)
        async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
            post = await repo.lock_due_post(conn, post_id=post_id, now=at)
            if post is None:
                return outcome
            step = await _step(post, settings=settings, http=http, redis=redis, now=at)
            if step.refused is not None and await token_health.record_refusal(
                conn, account_id=post["social_account_id"], exc=step.refused, settings=settings
            ):
                step = _token_failed(step.refused)
            elif step.outcome == "published" and token_health.needs_clearing(post):
                await token_health.record_success(conn, account_id=post["social_account_id"])
            await repo.apply_step(conn, post_id=post_id, changes=step.changes)
            if step.outcome in ("published", "failed"):
                await integration_events.record(
                    conn,
                    workspace_id,
                    integration_events.POST_PUBLISHED
                    if step.outcome == "published"
                    else integration_events.POST_FAILED,
                    {"post_id": str(post_id), **_outcome(step)},
                )
                await write_audit(
                    conn,
                    workspace_id=UUID(str(workspace_id)),
                    actor_user_id=None,
                    action=f"post.{step.outcome}",
                    target_type="scheduled_post",
                    target_id=str(post_id),
                    details=_logged(step),
                )
        outcome = step.outcome
        log.info("publishing step", post_id=str(post_id), outcome=outcome, **_logged(step))
        if outcome in ("published", "failed"):
            await live.emit(
                redis,
                workspace_id,
                live.POST_PUBLISHED if outcome == "published" else live.POST_FAILED,
                {"post_id": str(post_id), **_logged(step)},
                kept=settings.live_events_kept,
            )
        if not step.again:
            return outcome
    return outcome


def _outcome(step: Step) -> dict[str, Any]:
    """What an integration wants to know of the outcome."""
    keys = ("status", "platform_media_id", "permalink", "published_at", "last_error")
    return {k: step.changes[k] for k in keys if k in step.changes}


def _logged(step: Step) -> dict[str, Any]:
    return {k: step.changes[k] for k in ("status", "last_error") if k in step.changes}


async def publish_due_posts(
    pool: Pool,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    now: datetime | None = None,
) -> PublishRun:
    """Every post with a step due, PUBLISH_CONCURRENCY at a time, batch after batch until none
    is left or the run has taken a Beat interval (the next run goes on): 500 posts due in the
    same minute must not wait for ten intervals. A post a step could not move on (waiting for
    its container, or for a retry) is not due again in this run."""
    started = time.monotonic()
    counts = {"published": 0, "failed": 0, "retrying": 0, "waiting": 0, "skipped": 0}
    seen: set[Any] = set()
    gate = asyncio.Semaphore(max(1, settings.publish_concurrency))

    async def advance(post: dict[str, Any]) -> None:
        async with gate:
            outcome = await advance_post(
                pool,
                settings=settings,
                http=http,
                redis=redis,
                post_id=post["id"],
                workspace_id=post["workspace_id"],
                now=now,
            )
        counts[outcome] += 1

    while time.monotonic() - started < settings.publish_interval_s:
        async with privileged_session(pool) as conn:
            due = await repo.due_posts(
                conn, now=now or datetime.now(UTC), limit=settings.publish_batch
            )
        fresh = [post for post in due if post["id"] not in seen]
        if not fresh:
            break
        seen.update(post["id"] for post in fresh)
        await asyncio.gather(*(advance(post) for post in fresh))
    return PublishRun(due=len(seen), **counts)
