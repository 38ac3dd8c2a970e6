"""Beat's publishing of scheduled posts against the sandbox's Graph API: containers, polling,
publishing once (also when two runs race, or when a publish's answer was lost), retries with a
limit, and the account's publishing limit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.config import get_settings
from app.security.crypto import encrypt_secret
from tests.support.factories import create_workspace, register

# media as a CDN serves them: the sandbox downloads them when a container is made, as Meta does
SAMPLES = f"http://127.0.0.1:{get_settings().sandbox_port}/_sandbox/samples"
IMAGE = f"{SAMPLES}/square.jpg"


@pytest.fixture
def fast(settings: Any) -> Any:
    """Production settings with short waits, so a test can step through them."""
    return settings.model_copy(
        update={
            "graph_backoff_base_s": 0.01,
            "graph_backoff_max_s": 0.02,
            "publish_poll_interval_s": 60.0,
            "publish_retry_base_s": 60.0,
        }
    )


@pytest.fixture
def sandbox_config(sandbox) -> Any:  # type: ignore[no-untyped-def]
    httpx.delete(f"{sandbox.url}/_sandbox/faults")
    yield lambda **config: httpx.post(f"{sandbox.url}/_sandbox/config", json=config)
    httpx.post(
        f"{sandbox.url}/_sandbox/config",
        json={"container_polls_until_finished": 1, "publishing_quota": 50},
    )
    httpx.delete(f"{sandbox.url}/_sandbox/faults")


async def _account(client, admin) -> tuple[str, str, Any]:  # type: ignore[no-untyped-def]
    owner = await register(client, "publisher")
    ws = (await create_workspace(client, owner))["id"]
    ig = str(uuid.uuid4().int)[:17]
    account_id = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s) returning id",
        (ws, ig, encrypt_secret("sandbox-token")),
    ).fetchone()["id"]
    return ws, ig, account_id


def _post(  # type: ignore[no-untyped-def]
    admin,
    ws: str,
    account_id: Any,
    *,
    caption: str,
    urls: list[str] | None = None,
    media_type: str = "IMAGE",
    publish_at: datetime | None = None,
    status: str = "scheduled",
) -> Any:
    return admin.execute(
        "insert into scheduled_posts (workspace_id, social_account_id, media_type, media_urls, caption, publish_at, status)"
        " values (%s, %s, %s, to_jsonb(%s::text[]), %s, %s, %s) returning id",
        (
            ws,
            account_id,
            media_type,
            urls or [IMAGE],
            caption,
            publish_at or datetime.now(UTC) - timedelta(minutes=1),
            status,
        ),
    ).fetchone()["id"]


def _row(admin, post_id: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row: dict[str, Any] = admin.execute(
        "select * from scheduled_posts where id = %s", (post_id,)
    ).fetchone()
    return row


def _calls(sandbox, ig: str, endpoint: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [o for o in sandbox.state.outbox if o["account"] == ig and o["endpoint"] == endpoint]


async def _run(app, settings, now: datetime | None = None) -> Any:  # type: ignore[no-untyped-def]
    from app.publishing.service import publish_due_posts

    async with httpx.AsyncClient() as http:
        return await publish_due_posts(
            app.state.pool, settings=settings, http=http, redis=app.state.redis, now=now
        )


async def test_due_image_post_is_published_once_with_its_permalink(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    ws, ig, account_id = await _account(client, admin)
    due = _post(admin, ws, account_id, caption="Spring sale! #shop")
    later = _post(
        admin,
        ws,
        account_id,
        caption="Next week",
        publish_at=datetime.now(UTC) + timedelta(days=7),
    )
    cancelled = _post(admin, ws, account_id, caption="Never mind", status="cancelled")

    result = await _run(app, fast)
    assert result.published >= 1

    row = _row(admin, due)
    assert row["status"] == "published" and row["published_at"] is not None
    [published] = _calls(sandbox, ig, "publish")
    assert row["platform_media_id"] == published["media_id"]
    assert row["permalink"] == f"https://www.instagram.com/p/{published['media_id']}/"
    [container] = _calls(sandbox, ig, "create_container")
    assert container["text"] == "Spring sale! #shop" and container["media"] == IMAGE
    assert container["container_id"] == row["container_id"] == published["container_id"]
    assert _row(admin, later)["status"] == "scheduled", "not due yet"
    assert _row(admin, cancelled)["status"] == "cancelled"

    await _run(app, fast)
    assert len(_calls(sandbox, ig, "publish")) == 1, "a published post is never published again"


async def test_two_runs_at_once_publish_each_post_once(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    ws, ig, account_id = await _account(client, admin)
    posts = [_post(admin, ws, account_id, caption=f"Post {n}") for n in range(4)]

    await asyncio.gather(_run(app, fast), _run(app, fast))

    assert {_row(admin, p)["status"] for p in posts} == {"published"}
    published = _calls(sandbox, ig, "publish")
    assert len(published) == 4 and len(_calls(sandbox, ig, "create_container")) == 4
    assert len({p["container_id"] for p in published}) == 4


async def test_carousel_waits_for_its_items_then_publishes(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    sandbox_config(container_polls_until_finished=2)
    ws, ig, account_id = await _account(client, admin)
    urls = [IMAGE, f"{SAMPLES}/portrait.jpg", f"{SAMPLES}/clip.mp4"]
    post = _post(admin, ws, account_id, caption="Three looks", urls=urls, media_type="CAROUSEL")

    now = datetime.now(UTC)
    await _run(app, fast, now)
    row = _row(admin, post)
    assert row["status"] == "publishing" and len(row["child_container_ids"]) == 3
    assert row["container_id"] is None, "the parent waits until every item is FINISHED"
    assert row["next_attempt_at"] == now + timedelta(seconds=60), "polled again a minute later"
    assert not _calls(sandbox, ig, "publish")

    await _run(app, fast, now + timedelta(seconds=30))
    assert _row(admin, post)["container_id"] is None, "not due: nothing polled early"

    for minute in (1, 2, 3):
        await _run(app, fast, now + timedelta(minutes=minute, seconds=1))
    row = _row(admin, post)
    assert row["status"] == "published", row
    items = [
        c
        for c in _calls(sandbox, ig, "create_container")
        if c["container_id"] != row["container_id"]
    ]
    assert [c["media"] for c in items] == urls
    assert [c["media_type"] for c in items] == ["IMAGE", "IMAGE", "VIDEO"]
    [parent] = [
        c
        for c in _calls(sandbox, ig, "create_container")
        if c["container_id"] == row["container_id"]
    ]
    assert parent["media_type"] == "CAROUSEL" and parent["text"] == "Three looks"
    assert len(_calls(sandbox, ig, "publish")) == 1


async def test_lost_publish_answer_is_found_not_published_again(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    """The worker published, then died before storing the media id: the container says
    PUBLISHED, and the media is found among the account's recent posts."""
    from app.platforms.meta.account_clients import clients_for

    ws, ig, account_id = await _account(client, admin)
    async with httpx.AsyncClient() as http:
        ig_client: Any = clients_for(
            {
                "platform": "instagram",
                "account_external_id": ig,
                "access_token_encrypted": encrypt_secret("sandbox-token"),
            },
            settings=fast,
            http=http,
            redis=app.state.redis,
        )
        container = await ig_client.create_container(image_url=IMAGE, caption="Lost answer")
        assert await ig_client.container_status(container) == "FINISHED"
        media_id = await ig_client.publish(container)
    post = _post(admin, ws, account_id, caption="Lost answer", status="publishing")
    admin.execute(
        "update scheduled_posts set container_id = %s, container_created_at = now() where id = %s",
        (container, post),
    )

    await _run(app, fast)

    row = _row(admin, post)
    assert row["status"] == "published" and row["platform_media_id"] == media_id
    assert len(_calls(sandbox, ig, "publish")) == 1, "never published a second time"


async def test_failures_retry_with_backoff_then_fail_with_the_reason(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    ws, ig, account_id = await _account(client, admin)
    post = _post(admin, ws, account_id, caption="Unlucky")
    # Meta cannot fetch the image, on every call: 9004/2207052 comes and goes, so it is retried
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={
            "endpoint": "create_container",
            "kind": "bad_request",
            "status": 400,
            "code": 9004,
            "subcode": 2207052,
            "count": 100,
        },
    )
    now = datetime.now(UTC)
    await _run(app, fast, now)
    row = _row(admin, post)
    assert row["status"] == "scheduled" and row["attempts"] == 1
    assert row["next_attempt_at"] == now + timedelta(seconds=60)
    assert "9004" in row["last_error"] or "fetch" in row["last_error"].lower(), row["last_error"]

    await _run(app, fast, now + timedelta(seconds=61))
    row = _row(admin, post)
    assert row["attempts"] == 2 and row["next_attempt_at"] == now + timedelta(seconds=61 + 120)
    await _run(app, fast, now + timedelta(seconds=61 + 121))
    row = _row(admin, post)
    assert row["status"] == "failed" and row["attempts"] == 3 and row["last_error"]
    assert not _calls(sandbox, ig, "publish")

    await _run(app, fast, now + timedelta(days=1))
    assert _row(admin, post)["attempts"] == 3, "a failed post stays failed"


async def test_publishing_limit_postpones_without_using_an_attempt(
    app, client, admin, sandbox, sandbox_config, fast
) -> None:
    sandbox_config(publishing_quota=0)
    ws, ig, account_id = await _account(client, admin)
    post = _post(admin, ws, account_id, caption="Over the limit")

    now = datetime.now(UTC)
    await _run(app, fast, now)
    row = _row(admin, post)
    assert row["status"] == "scheduled" and row["attempts"] == 0
    assert "limit" in row["last_error"]
    assert row["next_attempt_at"] == now + timedelta(seconds=fast.publish_quota_retry_s)
    assert not _calls(sandbox, ig, "create_container")

    sandbox_config(publishing_quota=50)
    await _run(app, fast, now + timedelta(seconds=fast.publish_quota_retry_s + 1))
    assert _row(admin, post)["status"] == "published"
