"""Scheduling posts through the API as a social manager does: from the media library or from
URLs, checked before anything is queued, edited, moved, cancelled, published now or retried, and
published once by the real publishing job against the sandbox (which downloads the media as
Meta does). Agents read; other workspaces see nothing."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from app.security.crypto import encrypt_secret
from tests.support.factories import add_member, create_workspace, register


@pytest.fixture
def samples(sandbox) -> str:  # type: ignore[no-untyped-def]
    httpx.delete(f"{sandbox.url}/_sandbox/faults")
    yield f"{sandbox.url}/_sandbox/samples"
    httpx.delete(f"{sandbox.url}/_sandbox/faults")


async def _shop(client: Any, admin: Any, timezone: str = "Europe/Madrid") -> dict[str, Any]:
    owner = await register(client, "scheduler")
    ws = (await create_workspace(client, owner, "Bakery"))["id"]
    await client.patch(
        f"/api/workspaces/{ws}", json={"timezone": timezone}, headers=owner.headers()
    )
    ig = str(uuid.uuid4().int)[:17]
    account_id = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, username,"
        " access_token_encrypted, token_expires_at)"
        " values (%s, 'instagram', %s, 'bakery', %s, now() + interval '50 days') returning id",
        (ws, ig, encrypt_secret("sandbox-token")),
    ).fetchone()["id"]
    return {"owner": owner, "ws": ws, "ig": ig, "account_id": str(account_id)}


def _h(shop: dict[str, Any], user: Any = None) -> dict[str, str]:
    return (user or shop["owner"]).headers(shop["ws"])


def _soon(minutes: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def _publish(app: Any, now: datetime | None = None) -> Any:
    from app.publishing.service import publish_due_posts

    settings = app.state.settings.model_copy(
        update={"graph_backoff_base_s": 0.01, "graph_backoff_max_s": 0.02}
    )
    async with httpx.AsyncClient() as http:
        return await publish_due_posts(
            app.state.pool, settings=settings, http=http, redis=app.state.redis, now=now
        )


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _video(width: int, height: int, seconds: int) -> bytes:
    """A real MP4 (MPEG-4 video, encoded by FFmpeg through PyAV), one colour throughout."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        picture = np.full((height, width, 3), (200, 100, 50), dtype=np.uint8)
        for _ in range(seconds * 10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


async def test_an_uploaded_video_gets_its_size_length_and_a_thumbnail(
    client, admin, live_api
) -> None:
    """The calendar shows a reel by its first frame; the reel's checks read its real size."""
    shop = await _shop(client, admin)
    upload = await client.post(
        "/api/media",
        headers=_h(shop),
        files={"file": ("reel.mp4", _video(360, 640, 4), "video/mp4")},
    )
    assert upload.status_code == 201, upload.text
    media = upload.json()
    assert media["kind"] == "video" and media["content_type"] == "video/mp4"
    assert (media["width"], media["height"], media["duration_s"]) == (360, 640, 4)
    thumbnail = httpx.get(media["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.content[:2] == b"\xff\xd8"
    with Image.open(io.BytesIO(thumbnail.content)) as picture:
        assert max(picture.size) <= 320 and picture.getpixel((10, 10))[0] > 150  # the frame


async def test_a_post_from_an_upload_is_published_once_with_its_permalink(
    app, client, admin, sandbox, samples
) -> None:
    shop = await _shop(client, admin)
    upload = await client.post(
        "/api/media", headers=_h(shop), files={"file": ("cake.png", _png(1080, 1080), "image/png")}
    )
    assert upload.status_code == 201, upload.text
    media = upload.json()
    assert media["content_type"] == "image/jpeg", "PNG becomes JPEG, which Instagram takes"
    assert (media["width"], media["height"]) == (1080, 1080) and media["thumbnail_url"]
    fetched = httpx.get(media["public_url"])
    assert fetched.status_code == 200 and fetched.content[:2] == b"\xff\xd8"

    created = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json={
            "account_id": shop["account_id"],
            "caption": "Fresh cake #bakery",
            "media": [{"media_id": media["id"]}],
            "publish_at": _soon(),
        },
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["kind"] == "image" and post["status"] == "scheduled" and post["warnings"] == []
    in_use = await client.delete(f"/api/media/{media['id']}", headers=_h(shop))
    assert in_use.status_code == 409 and in_use.json()["detail"]["error_code"] == "media_in_use"

    await _publish(app)
    assert (await client.get(f"/api/scheduled-posts/{post['id']}", headers=_h(shop))).json()[
        "status"
    ] == "scheduled", "not due yet"
    now = await client.post(f"/api/scheduled-posts/{post['id']}/publish-now", headers=_h(shop))
    assert now.status_code == 200
    await _publish(app)
    await _publish(app)
    done = (await client.get(f"/api/scheduled-posts/{post['id']}", headers=_h(shop))).json()
    assert done["status"] == "published" and done["permalink"] and done["published_at"]
    published = [
        o for o in sandbox.state.outbox if o["account"] == shop["ig"] and o["endpoint"] == "publish"
    ]
    assert len(published) == 1, "published once"
    [container] = [
        o
        for o in sandbox.state.outbox
        if o["account"] == shop["ig"] and o["endpoint"] == "create_container"
    ]
    assert container["media"] == media["public_url"], "Meta fetched our public URL"

    listed = await client.get(
        "/api/instagram/posts", params={"account_id": shop["account_id"]}, headers=_h(shop)
    )
    assert done["permalink"] in [p["permalink"] for p in listed.json()]
    quota = await client.get(
        "/api/scheduled-posts/quota", params={"account_id": shop["account_id"]}, headers=_h(shop)
    )
    assert quota.status_code == 200 and quota.json()["quota_usage"] >= 1
    actions = [
        r["action"]
        for r in admin.execute(
            "select action from audit_log where workspace_id = %s and target_id = %s"
            " order by created_at",
            (shop["ws"], post["id"]),
        ).fetchall()
    ]
    assert actions == ["post.created", "post.publish_now", "post.published"]
    assert (await client.delete(f"/api/media/{media['id']}", headers=_h(shop))).status_code == 204


async def test_a_reel_from_a_url_is_checked_for_its_length(client, admin, samples) -> None:
    """The video's length is read from the start of the file at the URL (its movie header),
    as for an upload: too short is refused before anything is queued."""
    shop = await _shop(client, admin)
    base = {"account_id": shop["account_id"], "publish_at": _soon(), "draft": True}
    short = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json=base | {"media": [{"type": "video", "url": f"{samples}/short.mp4"}]},
    )
    assert short.status_code == 400, short.text
    assert short.json()["detail"]["error_code"] == "video_duration_invalid"
    assert "2 s" in short.json()["detail"]["message"]
    fine = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json=base | {"media": [{"type": "video", "url": f"{samples}/clip.mp4"}]},
    )
    assert fine.status_code == 201, fine.text
    assert fine.json()["kind"] == "reel" and fine.json()["media"][0]["duration_s"] == 12


async def test_what_instagram_would_refuse_is_refused_first_with_its_code(
    client, admin, samples
) -> None:
    shop = await _shop(client, admin)
    square = {"type": "image", "url": f"{samples}/square.jpg"}
    base = {"account_id": shop["account_id"], "media": [square], "publish_at": _soon()}
    cases = {
        "caption_too_long": {"caption": "a" * 2201},
        "too_many_hashtags": {"caption": " ".join(f"#tag{n}" for n in range(31))},
        "too_many_mentions": {"caption": " ".join(f"@friend{n}" for n in range(21))},
        "media_count_invalid": {"kind": "carousel"},
        "media_type_invalid": {"kind": "reel"},
        "image_aspect_ratio": {"media": [{"type": "image", "url": f"{samples}/banner.jpg"}]},
        "image_format_unsupported": {"media": [{"type": "image", "url": f"{samples}/logo.png"}]},
        "media_url_unreachable": {"media": [{"type": "image", "url": f"{samples}/missing.jpg"}]},
        "media_not_found": {"media": [{"media_id": str(uuid.uuid4())}]},
        "publish_at_in_past": {"publish_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
        "publish_at_too_far": {"publish_at": (datetime.now(UTC) + timedelta(days=400)).isoformat()},
        "account_not_found": {"account_id": str(uuid.uuid4())},
    }
    for code, change in cases.items():
        response = await client.post("/api/scheduled-posts", headers=_h(shop), json=base | change)
        assert response.status_code == 400, (code, response.text)
        assert response.json()["detail"]["error_code"] == code, response.text
    # a reel from the library: a 2-second clip is too short, the 12-second one fine
    from app.sandbox.samples import mp4

    for seconds, expected in ((2, 400), (12, 201)):
        clip = await client.post(
            "/api/media", headers=_h(shop), files={"file": ("c.mp4", mp4(seconds), "video/mp4")}
        )
        assert clip.status_code == 201 and clip.json()["duration_s"] == seconds
        reel = await client.post(
            "/api/scheduled-posts",
            headers=_h(shop),
            json=base | {"media": [{"media_id": clip.json()["id"]}], "draft": True},
        )
        assert reel.status_code == expected, reel.text
    assert reel.json()["kind"] == "reel"
    short = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json=base
        | {
            "media": [
                {
                    "media_id": (await client.get("/api/media", headers=_h(shop))).json()["items"][
                        1
                    ]["id"]
                }
            ]
        },
    )
    assert short.json()["detail"]["error_code"] == "video_duration_invalid"
    bogus = await client.post(
        "/api/media", headers=_h(shop), files={"file": ("notes.txt", b"hello", "text/plain")}
    )
    assert (
        bogus.status_code == 415
        and bogus.json()["detail"]["error_code"] == "media_type_unsupported"
    )

    # the token ends (in 50 days) before this post: it is accepted, with a warning
    later = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json=base | {"publish_at": (datetime.now(UTC) + timedelta(days=60)).isoformat()},
    )
    assert later.status_code == 201 and "reconnect" in later.json()["warnings"][0]
    await client.delete(f"/api/scheduled-posts/{later.json()['id']}", headers=_h(shop))

    admin.execute(
        "update social_accounts set token_status = 'needs_reconnect' where id = %s",
        (shop["account_id"],),
    )
    flagged = await client.post("/api/scheduled-posts", headers=_h(shop), json=base)
    assert flagged.json()["detail"]["error_code"] == "account_needs_reconnect"
    admin.execute(
        "update social_accounts set access_token_encrypted = null, disconnected_at = now()"
        " where id = %s",
        (shop["account_id"],),
    )
    gone = await client.post("/api/scheduled-posts", headers=_h(shop), json=base)
    assert gone.json()["detail"]["error_code"] == "account_not_connected"
    stored = admin.execute(
        "select status, count(*) as n from scheduled_posts where workspace_id = %s group by 1",
        (shop["ws"],),
    ).fetchall()
    assert sorted((r["status"], r["n"]) for r in stored) == [("cancelled", 1), ("draft", 1)], (
        "nothing refused was queued"
    )


async def test_edit_move_cancel_duplicate_and_who_may(app, client, admin, samples) -> None:
    shop = await _shop(client, admin, timezone="America/New_York")
    madrid = ZoneInfo("America/New_York")
    local = (datetime.now(madrid) + timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    created = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json={
            "account_id": shop["account_id"],
            "caption": "Two looks",
            "media": [
                {"type": "image", "url": f"{samples}/square.jpg"},
                {"type": "image", "url": f"{samples}/portrait.jpg"},
            ],
            # no offset: the workspace's local time
            "publish_at": local.replace(tzinfo=None).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["kind"] == "carousel"
    assert datetime.fromisoformat(post["publish_at"]) == local

    moved_day = (local + timedelta(days=3)).date()
    moved = await client.patch(
        f"/api/scheduled-posts/{post['id']}",
        headers=_h(shop),
        json={"publish_on": moved_day.isoformat(), "caption": "Two new looks"},
    )
    assert moved.status_code == 200, moved.text
    when = datetime.fromisoformat(moved.json()["publish_at"]).astimezone(madrid)
    assert (when.date(), when.hour, when.minute) == (moved_day, 9, 30), "same time of day"
    assert moved.json()["caption"] == "Two new looks"

    calendar = await client.get(
        "/api/scheduled-posts",
        headers=_h(shop),
        params={"from": moved_day.isoformat(), "to": moved_day.isoformat()},
    )
    assert [p["id"] for p in calendar.json()["items"]] == [post["id"]]
    before = await client.get(
        "/api/scheduled-posts", headers=_h(shop), params={"to": local.date().isoformat()}
    )
    assert before.json()["items"] == []

    agent = await register(client, "agent")
    await add_member(client, shop["owner"], shop["ws"], agent, "agent")
    assert (
        await client.get(f"/api/scheduled-posts/{post['id']}", headers=_h(shop, agent))
    ).status_code == 200
    for method, path, body in (
        ("POST", "/api/scheduled-posts", created.request.content),
        ("PATCH", f"/api/scheduled-posts/{post['id']}", b'{"caption": "x"}'),
        ("DELETE", f"/api/scheduled-posts/{post['id']}", None),
        ("POST", f"/api/scheduled-posts/{post['id']}/publish-now", None),
    ):
        denied = await client.request(
            method,
            path,
            headers=_h(shop, agent) | {"content-type": "application/json"},
            content=body,
        )
        assert denied.status_code == 403, (method, path, denied.text)

    other = await _shop(client, admin)
    for method, path in (
        ("GET", f"/api/scheduled-posts/{post['id']}"),
        ("DELETE", f"/api/scheduled-posts/{post['id']}"),
        ("POST", f"/api/scheduled-posts/{post['id']}/duplicate"),
        ("POST", f"/api/scheduled-posts/{post['id']}/publish-now"),
    ):
        assert (await client.request(method, path, headers=_h(other))).status_code == 404, path
    stolen = await client.post(
        "/api/scheduled-posts",
        headers=_h(other),
        json={
            "account_id": shop["account_id"],
            "media": [{"type": "image", "url": f"{samples}/square.jpg"}],
            "publish_at": _soon(),
        },
    )
    assert stolen.json()["detail"]["error_code"] == "account_not_found", "not another's account"

    copy = await client.post(f"/api/scheduled-posts/{post['id']}/duplicate", headers=_h(shop))
    assert copy.status_code == 201 and copy.json()["status"] == "draft"
    cancelled = await client.delete(f"/api/scheduled-posts/{post['id']}", headers=_h(shop))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = await client.patch(
        f"/api/scheduled-posts/{post['id']}", headers=_h(shop), json={"caption": "too late"}
    )
    assert late.status_code == 409 and late.json()["detail"]["error_code"] == "post_not_editable"

    # a draft is never published, even when its time has come
    await _publish(app, now=datetime.now(UTC) + timedelta(days=10))
    assert (await client.get(f"/api/scheduled-posts/{copy.json()['id']}", headers=_h(shop))).json()[
        "status"
    ] == "draft"


async def test_a_failure_says_what_to_do_and_a_retry_publishes_it(
    app, client, admin, sandbox, samples
) -> None:
    shop = await _shop(client, admin)
    created = await client.post(
        "/api/scheduled-posts",
        headers=_h(shop),
        json={
            "account_id": shop["account_id"],
            "caption": "Weekend hours",
            "media": [{"type": "image", "url": f"{samples}/portrait.jpg"}],
            "publish_at": _soon(1),
        },
    )
    post = created.json()
    # Meta cannot download the media, on every attempt
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={
            "endpoint": "create_container",
            "kind": "bad_request",
            "code": 9004,
            "subcode": 2207052,
            "match": shop["ig"],
            "count": 50,
        },
    )
    now = datetime.now(UTC) + timedelta(minutes=2)
    for attempt in range(6):
        await _publish(app, now=now + timedelta(hours=attempt))
    failed = (await client.get(f"/api/scheduled-posts/{post['id']}", headers=_h(shop))).json()
    assert failed["status"] == "failed", failed
    failure = failed["failure"]
    assert failure["code"] == "media_fetch_failed" and "public" in failure["advice"]
    assert "9004" in failure["raw"], "Meta's own error is kept for support"

    httpx.delete(f"{sandbox.url}/_sandbox/faults")
    retried = await client.post(f"/api/scheduled-posts/{post['id']}/retry", headers=_h(shop))
    assert retried.status_code == 200 and retried.json()["status"] == "scheduled"
    await _publish(app)
    await _publish(app)
    done = (await client.get(f"/api/scheduled-posts/{post['id']}", headers=_h(shop))).json()
    assert done["status"] == "published" and done["failure"] is None
    again = await client.post(f"/api/scheduled-posts/{post['id']}/retry", headers=_h(shop))
    assert again.status_code == 409, "a published post is not retried"
