"""Scheduling posts: what a social manager does through the API. Everything Meta would refuse
is refused here first (validation.py), so a queued post fails only for reasons that arise at
publishing time; the Beat job (service.py) publishes it. Managers and owners change posts,
agents read them; every change is in the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import redis.asyncio as aioredis
from psycopg.types.json import Jsonb

from app.audit.record import record
from app.config import Settings
from app.db.session import Conn
from app.errors import Conflict, NotFound
from app.media import service as media_service
from app.pagination import Page, page_of, time_id_cursor
from app.platforms.meta.account_clients import clients_for
from app.platforms.meta.errors import GraphAPIError
from app.platforms.meta.instagram import InstagramClient
from app.publishing import failures, repo, validation
from app.publishing.schemas import (
    InstagramPostOut,
    MediaItemIn,
    PostCreate,
    PostOut,
    PostUpdate,
    QuotaOut,
)
from app.publishing.validation import Item, PostInvalid
from app.queue import PUBLISH_POST, publish
from app.social_accounts import repo as accounts_repo
from app.workspaces import repo as workspaces_repo
from app.workspaces.context import WorkspaceContext

KINDS = {"image": "IMAGE", "carousel": "CAROUSEL", "reel": "REELS", "story": "STORIES"}
KIND_OF = {v: k for k, v in KINDS.items()}


async def _zone(conn: Conn, ws: WorkspaceContext) -> ZoneInfo:
    row = await workspaces_repo.get_workspace(conn, workspace_id=ws.workspace_id)
    return ZoneInfo(row["timezone"] if row else "UTC")


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time without an offset is the workspace's local time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


async def _items(
    ws: WorkspaceContext, media: list[MediaItemIn], http: httpx.AsyncClient, settings: Settings
) -> list[Item]:
    library = await media_service.assets(ws, [m.media_id for m in media if m.media_id])
    items = []
    for entry in media:
        if entry.media_id is not None:
            asset = library.get(entry.media_id)
            if asset is None:
                raise PostInvalid(
                    "no file with this media_id in the workspace's media library",
                    error_code="media_not_found",
                )
            items.append(
                Item(
                    type=asset["kind"],
                    url=asset["public_url"],
                    media_id=str(asset["id"]),
                    width=asset["width"],
                    height=asset["height"],
                    duration_s=asset["duration_s"],
                    thumbnail_url=asset["thumbnail_url"],
                )
            )
        else:
            assert entry.url is not None
            items.append(await validation.probe_url(http, entry.url, entry.type, settings))
    return items


def post_out(row: dict[str, Any]) -> PostOut:
    warnings = []
    expires = row.get("token_expires_at")
    if row["status"] in ("draft", "scheduled") and expires and expires < row["publish_at"]:
        warnings.append(
            "the account's access token expires before this post's time: reconnect the account "
            "before then"
        )
    failed = row["status"] == "failed"
    return PostOut(
        id=row["id"],
        account_id=row["account_id"],
        kind=KIND_OF[row["media_type"]],  # type: ignore[arg-type]
        caption=row["caption"] or "",
        media=list(row["media"] or [{"url": u} for u in row["media_urls"] or []]),
        publish_at=row["publish_at"],
        status=row["status"],
        attempts=row["attempts"],
        platform_media_id=row["platform_media_id"],
        permalink=row["permalink"],
        published_at=row["published_at"],
        failure=failures.explain(row["last_error"]) if failed else None,
        note=row["last_error"] if row["status"] == "scheduled" else None,
        warnings=warnings,
        cover_url=row["cover_url"],
        share_to_feed=row["share_to_feed"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _checked(
    ws: WorkspaceContext,
    *,
    account_id: UUID,
    kind: str | None,
    caption: str,
    media: list[MediaItemIn],
    publish_at: datetime,
    draft: bool,
    settings: Settings,
    http: httpx.AsyncClient,
) -> dict[str, Any]:
    """The row's values once everything checks out."""
    validation.check_caption(caption, settings)
    async with ws.session() as conn:
        account = await accounts_repo.get_account(
            conn, workspace_id=ws.workspace_id, account_id=account_id
        )
    validation.check_account(account)
    if not draft:
        validation.check_publish_at(publish_at, datetime.now(UTC), settings)
    items = await _items(ws, media, http, settings)
    chosen = kind or validation.infer_kind(items)
    validation.check_media(chosen, items)
    return {
        "account_id": account_id,
        "media_type": KINDS[chosen],
        "caption": caption,
        "media": Jsonb([i.stored() for i in items]),
        "media_urls": Jsonb([i.url for i in items]),
        "publish_at": publish_at,
        "status": "draft" if draft else "scheduled",
    }


async def create_post(
    ws: WorkspaceContext, body: PostCreate, *, settings: Settings, http: httpx.AsyncClient
) -> PostOut:
    ws.require("manager")
    async with ws.session() as conn:
        zone = await _zone(conn, ws)
    values = await _checked(
        ws,
        account_id=body.account_id,
        kind=body.kind,
        caption=body.caption,
        media=body.media,
        publish_at=_aware(body.publish_at, zone),
        draft=body.draft,
        settings=settings,
        http=http,
    )
    async with ws.session() as conn:
        row = await repo.insert_post(
            conn,
            values={
                **values,
                "workspace_id": ws.workspace_id,
                "cover_url": body.cover_url,
                "share_to_feed": body.share_to_feed,
                "by": ws.principal.user_id,
            },
        )
        await record(conn, ws, "post.created", "scheduled_post", row["id"], status=row["status"])
    return post_out(row)


async def list_posts(
    ws: WorkspaceContext,
    *,
    status: str | None,
    account_id: UUID | None,
    start: date | None,
    end: date | None,
    limit: int,
    cursor: str | None = None,
) -> Page[PostOut]:
    """`start` and `end` are days in the workspace's time zone, both included."""
    async with ws.session() as conn:
        zone = await _zone(conn, ws)
        rows = await repo.list_posts(
            conn,
            workspace_id=ws.workspace_id,
            status=status,
            account_id=account_id,
            start=datetime.combine(start, datetime.min.time(), zone) if start else None,
            end=datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
            if end
            else None,
            limit=limit + 1,
            after=time_id_cursor(cursor),
        )
    return page_of(rows, limit=limit, key=lambda r: (r["publish_at"], r["id"]), item=post_out)


async def _post(conn: Conn, ws: WorkspaceContext, post_id: UUID) -> dict[str, Any]:
    row = await repo.get_post(conn, workspace_id=ws.workspace_id, post_id=post_id, for_update=True)
    if row is None:
        raise NotFound("no such post in this workspace", error_code="post_not_found")
    return row


async def get_post(ws: WorkspaceContext, post_id: UUID) -> PostOut:
    async with ws.session() as conn:
        row = await repo.get_post(conn, workspace_id=ws.workspace_id, post_id=post_id)
    if row is None:
        raise NotFound("no such post in this workspace", error_code="post_not_found")
    return post_out(row)


def _not_editable(row: dict[str, Any]) -> Conflict:
    return Conflict(
        f"the post is {row['status']}: only drafts and scheduled posts can change",
        error_code="post_not_editable",
    )


async def update_post(
    ws: WorkspaceContext,
    post_id: UUID,
    body: PostUpdate,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
) -> PostOut:
    ws.require("manager")
    async with ws.session() as conn:
        row = await _post(conn, ws, post_id)
        zone = await _zone(conn, ws)
    if row["status"] not in repo.EDITABLE:
        raise _not_editable(row)
    publish_at = row["publish_at"]
    if body.publish_at is not None:
        publish_at = _aware(body.publish_at, zone)
    elif body.publish_on is not None:  # another day, the same time of day where the shop is
        local = publish_at.astimezone(zone)
        publish_at = datetime.combine(body.publish_on, local.timetz().replace(tzinfo=None), zone)
    media = body.media or [MediaItemIn.model_validate(m) for m in _as_inputs(row)]
    values = await _checked(
        ws,
        account_id=row["account_id"],
        kind=body.kind or (KIND_OF[row["media_type"]] if body.media is None else None),
        caption=body.caption if body.caption is not None else row["caption"] or "",
        media=media,
        publish_at=publish_at,
        draft=body.draft if body.draft is not None else row["status"] == "draft",
        settings=settings,
        http=http,
    )
    values.pop("account_id")
    if "cover_url" in body.model_fields_set:
        values["cover_url"] = body.cover_url
    if "share_to_feed" in body.model_fields_set:
        values["share_to_feed"] = body.share_to_feed
    async with ws.session() as conn:
        current = await _post(conn, ws, post_id)
        if current["status"] not in repo.EDITABLE:  # Beat took it meanwhile
            raise _not_editable(current)
        changed = await repo.change_post(
            conn,
            workspace_id=ws.workspace_id,
            post_id=post_id,
            changes={**values, "updated_by": ws.principal.user_id, "next_attempt_at": None},
        )
        await record(
            conn,
            ws,
            "post.updated",
            "scheduled_post",
            post_id,
            fields=sorted(body.model_fields_set),
        )
    assert changed is not None
    return post_out(changed)


def _as_inputs(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored post's media as the API takes them (rows made before the API: from their URLs)."""
    stored = row["media"] or [{"url": u} for u in row["media_urls"] or []]
    return [
        {"media_id": m["media_id"]}
        if m.get("media_id")
        else {"url": m["url"], "type": m.get("type")}
        for m in stored
    ]


async def _transition(
    ws: WorkspaceContext,
    post_id: UUID,
    *,
    allowed: tuple[str, ...],
    changes: dict[str, Any],
    action: str,
    refusal: str,
) -> PostOut:
    ws.require("manager")
    async with ws.session() as conn:
        row = await _post(conn, ws, post_id)
        if row["status"] not in allowed:
            raise Conflict(
                f"the post is {row['status']}: {refusal}", error_code="post_wrong_status"
            )
        changed = await repo.change_post(
            conn,
            workspace_id=ws.workspace_id,
            post_id=post_id,
            changes={**changes, "updated_by": ws.principal.user_id},
        )
        await record(conn, ws, action, "scheduled_post", post_id, was=row["status"])
    assert changed is not None
    return post_out(changed)


async def cancel_post(ws: WorkspaceContext, post_id: UUID) -> PostOut:
    return await _transition(
        ws,
        post_id,
        allowed=("draft", "scheduled", "failed"),
        changes={"status": "cancelled", "next_attempt_at": None},
        action="post.cancelled",
        refusal="it is being published or is out already",
    )


_FRESH_START: dict[str, Any] = {
    "attempts": 0,
    "next_attempt_at": None,
    "last_error": None,
    "container_id": None,
    "child_container_ids": [],
    "container_created_at": None,
}


async def publish_now(ws: WorkspaceContext, post_id: UUID, *, redis: aioredis.Redis) -> PostOut:
    out = await _transition(
        ws,
        post_id,
        allowed=("draft", "scheduled"),
        changes={"status": "scheduled", "publish_at": datetime.now(UTC), "next_attempt_at": None},
        action="post.publish_now",
        refusal="only drafts and scheduled posts can be published now",
    )
    # Beat would find it within PUBLISH_INTERVAL_S; this starts it at once
    await publish(redis, [(PUBLISH_POST, [str(post_id), str(ws.workspace_id)])])
    return out


async def retry_post(ws: WorkspaceContext, post_id: UUID, *, redis: aioredis.Redis) -> PostOut:
    out = await _transition(
        ws,
        post_id,
        allowed=("failed",),
        changes={**_FRESH_START, "status": "scheduled", "publish_at": datetime.now(UTC)},
        action="post.retried",
        refusal="only a failed post can be retried",
    )
    await publish(redis, [(PUBLISH_POST, [str(post_id), str(ws.workspace_id)])])
    return out


async def duplicate_post(ws: WorkspaceContext, post_id: UUID) -> PostOut:
    """A draft copy, to edit and schedule again."""
    ws.require("manager")
    async with ws.session() as conn:
        row = await repo.get_post(conn, workspace_id=ws.workspace_id, post_id=post_id)
        if row is None:
            raise NotFound("no such post in this workspace", error_code="post_not_found")
        copy = await repo.insert_post(
            conn,
            values={
                "workspace_id": ws.workspace_id,
                "account_id": row["account_id"],
                "media_type": row["media_type"],
                "caption": row["caption"],
                "media": Jsonb(row["media"]),
                "media_urls": Jsonb(row["media_urls"]),
                "publish_at": max(row["publish_at"], datetime.now(UTC)),
                "status": "draft",
                "cover_url": row["cover_url"],
                "share_to_feed": row["share_to_feed"],
                "by": ws.principal.user_id,
            },
        )
        await record(conn, ws, "post.duplicated", "scheduled_post", copy["id"], source=str(post_id))
    return post_out(copy)


async def _client(
    ws: WorkspaceContext,
    account_id: UUID,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
) -> InstagramClient:
    async with ws.session() as conn:
        account = await accounts_repo.get_account(
            conn, workspace_id=ws.workspace_id, account_id=account_id
        )
    validation.check_account(account)
    assert account is not None
    client = clients_for(
        {**account, "account_external_id": account["external_id"]},
        settings=settings,
        http=http,
        redis=redis,
    )
    assert isinstance(client, InstagramClient)
    return client


def _meta_unavailable(exc: GraphAPIError) -> Exception:
    from app.errors import ServiceUnavailable

    return ServiceUnavailable(
        f"Instagram did not answer ({exc.message}); try again shortly",
        error_code="meta_unavailable",
    )


async def quota(
    ws: WorkspaceContext,
    account_id: UUID,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
) -> QuotaOut:
    """The account's publishing limit for the next 24 h, and what is queued in that time."""
    client = await _client(ws, account_id, settings=settings, http=http, redis=redis)
    try:
        limit = await client.publishing_limit()
    except GraphAPIError as exc:
        raise _meta_unavailable(exc) from exc
    total = (limit.get("config") or {}).get("quota_total")
    usage = limit.get("quota_usage")
    async with ws.session() as conn:
        queued = await repo.due_within(
            conn, account_id=account_id, until=datetime.now(UTC) + timedelta(hours=24)
        )
    remaining = int(total) - int(usage or 0) if total is not None else None
    return QuotaOut(
        account_id=account_id,
        quota_total=total,
        quota_usage=usage,
        remaining=remaining,
        scheduled_next_24h=queued,
    )


async def instagram_posts(
    ws: WorkspaceContext,
    account_id: UUID,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    limit: int,
) -> list[InstagramPostOut]:
    """The account's published media, ours and those made in the Instagram app."""
    client = await _client(ws, account_id, settings=settings, http=http, redis=redis)
    try:
        media = await client.list_media(limit=limit)
    except GraphAPIError as exc:
        raise _meta_unavailable(exc) from exc
    return [
        InstagramPostOut(**{k: v for k, v in m.items() if k in InstagramPostOut.model_fields})
        for m in media
    ]
