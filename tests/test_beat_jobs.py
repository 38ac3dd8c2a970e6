"""Beat's housekeeping: token refresh, analytics roll-up, retention, adaptive comment polling,
re-enqueuing released sends, and two Beat processes doing each due job once."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb

from app.security.crypto import decrypt_secret, encrypt_secret
from tests.support import processes
from tests.support.factories import create_workspace, register


async def _workspace(client) -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    owner = await register(client, "beat")
    return owner, (await create_workspace(client, owner))["id"]


def _instagram(admin, ws: str, *, token: str, expires_in: timedelta | None, age: timedelta) -> str:  # type: ignore[no-untyped-def]
    ig = str(uuid.uuid4().int)[:17]
    now = datetime.now(UTC)
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted,"
        " token_expires_at, connected_at) values (%s, 'instagram', %s, %s, %s, %s)",
        (ws, ig, encrypt_secret(token), now + expires_in if expires_in else None, now - age),
    )
    return ig


def _account(admin, ig: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row: dict[str, Any] = admin.execute(
        "select * from social_accounts where external_id = %s", (ig,)
    ).fetchone()
    return row


async def test_tokens_refresh_before_expiry_and_failures_are_flagged(
    app, client, admin, sandbox
) -> None:
    from app.social_accounts.token_refresh import refresh_expiring_tokens

    _, ws = await _workspace(client)
    tag = uuid.uuid4().hex[:8]
    due = _instagram(
        admin, ws, token=f"due-{tag}", expires_in=timedelta(days=5), age=timedelta(days=55)
    )
    fresh = _instagram(
        admin, ws, token=f"fresh-{tag}", expires_in=timedelta(days=5), age=timedelta(hours=2)
    )
    later = _instagram(
        admin, ws, token=f"later-{tag}", expires_in=timedelta(days=40), age=timedelta(days=20)
    )
    gone = _instagram(
        admin, ws, token=f"gone-{tag}", expires_in=timedelta(hours=-1), age=timedelta(days=61)
    )

    async with httpx.AsyncClient() as http:
        result = await refresh_expiring_tokens(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )
    assert result.refreshed >= 1 and result.expired >= 1
    refreshed = [r for r in sandbox.state.token_refreshes if r["old"].endswith(tag)]
    assert [r["old"] for r in refreshed] == [f"due-{tag}"], "only the due token, and only once"
    account = _account(admin, due)
    assert decrypt_secret(account["access_token_encrypted"]) == refreshed[0]["new"]
    assert account["token_expires_at"] > datetime.now(UTC) + timedelta(days=59)
    assert account["token_status"] == "ok" and account["token_refreshed_at"] is not None
    assert decrypt_secret(_account(admin, fresh)["access_token_encrypted"]) == f"fresh-{tag}", (
        "Meta refuses to refresh a token younger than 24 h"
    )
    assert decrypt_secret(_account(admin, later)["access_token_encrypted"]) == f"later-{tag}"
    assert _account(admin, gone)["token_status"] == "expired", "expired tokens cannot be refreshed"

    # a revoked token is flagged for reconnection; an outage leaves it for the next run
    revoked = _instagram(
        admin, ws, token=f"revoked-{tag}", expires_in=timedelta(days=3), age=timedelta(days=57)
    )
    faults = f"{sandbox.url}/_sandbox/faults"
    httpx.post(faults, json={"endpoint": "refresh_token", "kind": "token_expired", "count": 1})
    async with httpx.AsyncClient() as http:
        await refresh_expiring_tokens(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )
    assert _account(admin, revoked)["token_status"] == "needs_reconnect"
    flaky = _instagram(
        admin, ws, token=f"flaky-{tag}", expires_in=timedelta(days=3), age=timedelta(days=57)
    )
    httpx.post(faults, json={"endpoint": "refresh_token", "kind": "server_error", "count": 20})
    try:
        async with httpx.AsyncClient() as http:
            failed = await refresh_expiring_tokens(
                app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
            )
    finally:
        httpx.delete(faults)
    assert failed.failed >= 1 and _account(admin, flaky)["token_status"] == "expiring"
    async with httpx.AsyncClient() as http:
        await refresh_expiring_tokens(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )
    assert _account(admin, flaky)["token_status"] == "ok", "refreshed on the next run"


async def test_analytics_roll_up_counts_per_channel_and_is_repeatable(app, client, admin) -> None:
    from app.analytics.rollup import roll_up_analytics

    owner, ws = await _workspace(client)
    ig = _instagram(admin, ws, token="t", expires_in=None, age=timedelta(days=1))
    account_id = _account(admin, ig)["id"]
    now = datetime.now(UTC).replace(microsecond=0)

    def conversation(contact: str, channel: str) -> Any:
        contact_id = admin.execute(
            "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, 'instagram', %s) returning id",
            (ws, account_id, contact),
        ).fetchone()["id"]
        return admin.execute(
            "insert into conversations (workspace_id, social_account_id, contact_id, channel) values (%s, %s, %s, %s) returning id",
            (ws, account_id, contact_id, channel),
        ).fetchone()["id"]

    def message(conv: Any, direction: str, sender: str, at: datetime, pmid: str) -> None:
        admin.execute(
            "insert into messages (workspace_id, conversation_id, direction, sender, platform_message_id, text, sent_at)"
            " values (%s, %s, %s, %s, %s, 'x', %s)",
            (ws, conv, direction, sender, pmid, at),
        )

    dm1, dm2 = conversation("a", "instagram_dm"), conversation("b", "instagram_dm")
    message(dm1, "inbound", "contact", now - timedelta(seconds=30), "in1")
    message(dm1, "outbound", "bot", now - timedelta(seconds=28), "out1")  # answered in 2 s
    message(dm2, "inbound", "contact", now - timedelta(seconds=20), "in2")
    message(
        dm2, "outbound", "human", now - timedelta(seconds=16), "out2"
    )  # staff, from the app, 4 s
    message(dm2, "inbound", "contact", now - timedelta(seconds=5), "in3")  # not answered yet
    admin.execute(
        "insert into outbound_messages (workspace_id, conversation_id, social_account_id, idempotency_key, kind, recipient,"
        " payload, status, sent_at, platform_message_id, sender) values (%s, %s, %s, %s, 'dm', 'a', '{}', 'sent', %s, 'out1', 'bot')",
        (ws, dm1, account_id, f"k-{uuid.uuid4()}", now - timedelta(seconds=28)),
    )
    for decision in ("respond", "ignore", "escalate"):
        admin.execute(
            "insert into ai_decisions (workspace_id, conversation_id, decision) values (%s, %s, %s)",
            (ws, dm2, decision),
        )
    admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, 'refund')",
        (ws, dm2),
    )
    comments = conversation("c", "instagram_comment")
    admin.execute(
        "insert into comments (workspace_id, social_account_id, conversation_id, platform_comment_id, text, commented_at, hidden)"
        " values (%s, %s, %s, %s, 'spam spam', %s, true)",
        (ws, account_id, comments, f"c-{uuid.uuid4()}", now - timedelta(seconds=10)),
    )
    admin.execute(
        "insert into ai_decisions (workspace_id, conversation_id, decision) values (%s, %s, 'hide')",
        (ws, comments),
    )

    for source in ("reconcile", "webhook"):
        admin.execute(
            "insert into webhook_events (workspace_id, platform, kind, account_external_id, dedupe_key, status, payload)"
            " values (%s, 'instagram', 'ig_message', %s, %s, 'done', %s)",
            (ws, ig, f"k-{uuid.uuid4()}", json.dumps({"data": {"source": source}})),
        )

    await roll_up_analytics(app.state.pool, days=1)
    await roll_up_analytics(app.state.pool, days=1)
    response = await client.get("/api/analytics/daily", headers=owner.headers(ws))
    assert response.status_code == 200
    rows = {r["channel"]: r for r in response.json() if r["day"] == str(now.date())}
    dm = rows["instagram_dm"]
    assert (dm["messages_in"], dm["messages_out"], dm["auto_replied"]) == (3, 2, 1)
    assert (dm["escalated"], dm["ignored"], dm["hidden"]) == (1, 1, 0)
    assert dm["median_response_ms"] == 3000, "median of 2 s and 4 s; the unanswered one is left out"
    assert dm["recovered"] == 1, "one message reached us only through the reconciliation poll"
    comment = rows["instagram_comment"]
    assert (comment["messages_in"], comment["hidden"]) == (1, 1)

    # later runs recompute only the workspaces that changed since the previous one began
    quiet = await roll_up_analytics(app.state.pool, days=1, since=datetime.now(UTC))
    assert quiet == {"rows": 0, "workspaces": 0}, "nothing changed: nothing recomputed"
    kept = (await client.get("/api/analytics/daily", headers=owner.headers(ws))).json()
    assert {r["channel"] for r in kept if r["day"] == str(now.date())} == set(rows), "kept"
    since = datetime.now(UTC)
    message(dm1, "inbound", "contact", datetime.now(UTC), "in4")
    admin.execute("update conversations set updated_at = now() where id = %s", (dm1,))
    changed = await roll_up_analytics(app.state.pool, days=1, since=since)
    assert changed["workspaces"] >= 1
    again = {
        r["channel"]: r
        for r in (await client.get("/api/analytics/daily", headers=owner.headers(ws))).json()
        if r["day"] == str(now.date())
    }
    assert again["instagram_dm"]["messages_in"] == 4, "the new message is counted"
    assert again["instagram_comment"]["messages_in"] == 1

    other, _ = await _workspace(client)
    assert (await client.get("/api/analytics/daily", headers=other.headers())).json() == []


async def test_retention_deletes_old_finished_events_only(app, client, admin) -> None:
    from app.maintenance.retention import delete_old_events

    _, ws = await _workspace(client)
    tag = uuid.uuid4().hex

    def event(status: str, age_days: float) -> int:
        row: dict[str, Any] = admin.execute(
            "insert into webhook_events (workspace_id, platform, kind, account_external_id, dedupe_key, status, payload, received_at)"
            " values (%s, 'instagram', 'ig_message', 'x', %s, %s, '{}', now() - make_interval(days => %s)) returning id",
            (ws, f"{tag}:{status}:{age_days}", status, age_days),
        ).fetchone()
        return int(row["id"])

    old_done, old_ignored = event("done", 40), event("ignored", 31)
    old_processing, recent_done = event("processing", 40), event("done", 2)
    deleted = await delete_old_events(app.state.pool, retention_days=30, batch=1)
    assert deleted >= 2
    left = {
        r["id"]
        for r in admin.execute(
            "select id from webhook_events where dedupe_key like %s", (f"{tag}:%",)
        ).fetchall()
    }
    assert left == {old_processing, recent_done}
    assert old_done not in left and old_ignored not in left


def test_comment_polling_is_adaptive(settings) -> None:
    from app.reconcile.service import comment_poll_interval

    assert comment_poll_interval(timedelta(hours=3), settings) == settings.reconcile_interval_s
    assert (
        comment_poll_interval(timedelta(days=3), settings)
        == settings.reconcile_comments_week_interval_s
    )
    assert (
        comment_poll_interval(timedelta(days=20), settings)
        == settings.reconcile_comments_old_interval_s
    )
    assert comment_poll_interval(timedelta(days=31), settings) is None


async def test_radar_polls_old_posts_less_often_and_skips_very_old_ones(
    app, client, admin, sandbox
) -> None:
    from app.reconcile import service as reconcile_service

    _, ws = await _workspace(client)
    ig = _instagram(admin, ws, token="sandbox-token", expires_in=None, age=timedelta(days=90))

    def lost_comment(media: str, age: timedelta, who: str) -> None:
        response = httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={
                "platform": "instagram",
                "kind": "comment",
                "account_id": ig,
                "from": who,
                "text": "price?",
                "media_id": media,
                "deliver": False,
            },
        )
        assert response.status_code == 200
        posted = datetime.now(UTC) - age
        sandbox.state.media[media]["timestamp"] = posted.strftime("%Y-%m-%dT%H:%M:%S+0000")

    def found() -> set[str]:
        return {
            r["payload"]["data"]["media_id"]
            for r in admin.execute(
                "select payload from webhook_events where account_external_id = %s and kind = 'ig_comment'",
                (ig,),
            ).fetchall()
        }

    async def radar() -> None:
        async with httpx.AsyncClient() as http:
            await reconcile_service.run_radar(
                app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
            )

    new, week, ancient = (f"media_{ig}_{n}" for n in ("new", "week", "ancient"))
    lost_comment(new, timedelta(hours=2), "u1")
    lost_comment(week, timedelta(days=3), "u2")
    lost_comment(ancient, timedelta(days=45), "u3")
    await radar()
    assert found() == {new, week}, "posts older than 30 days are not polled"
    lost_comment(new, timedelta(hours=2), "u4")
    lost_comment(week, timedelta(days=3), "u5")
    # the recent post's poll slot lapses after one radar interval
    await app.state.redis.delete(f"reconcile:comments:{new}")
    await radar()
    users = {
        r["payload"]["sender_id"]
        for r in admin.execute(
            "select payload from webhook_events where account_external_id = %s and kind = 'ig_comment'",
            (ig,),
        ).fetchall()
    }
    assert "u4" in users, "a recent post is polled on every run"
    assert "u5" not in users, "a post days old waits for its longer interval"


async def test_released_dead_letter_is_sent_by_beat_sweep(
    app, client, admin, sandbox, worker
) -> None:
    from app.outbound.service import requeue_pending

    _, ws = await _workspace(client)
    ig = _instagram(admin, ws, token="sandbox-token", expires_in=None, age=timedelta(days=1))
    account_id = _account(admin, ig)["id"]
    contact_id = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, 'instagram', 'r1') returning id",
        (ws, account_id),
    ).fetchone()["id"]
    conv = admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel, last_inbound_at)"
        " values (%s, %s, %s, 'instagram_dm', now()) returning id",
        (ws, account_id, contact_id),
    ).fetchone()["id"]
    outbound_id = admin.execute(
        "insert into outbound_messages (workspace_id, conversation_id, social_account_id, idempotency_key, kind, recipient, payload, status, last_error)"
        " values (%s, %s, %s, %s, 'dm', 'r1', '{\"text\": \"Sorry for the wait!\"}', 'dead', 'gave up') returning id",
        (ws, conv, account_id, f"k-{uuid.uuid4()}"),
    ).fetchone()["id"]
    # staff release it while the broker is unavailable to the API: only the row changes
    admin.execute(
        "update outbound_messages set status = 'pending', lease_until = null where id = %s",
        (outbound_id,),
    )
    assert await requeue_pending(app.state.pool, app.state.redis, lease_s=20) >= 1

    def sent() -> list[dict[str, Any]]:
        return [o for o in sandbox.state.outbox if o["account"] == ig]

    processes.wait_for(sent, 20)
    time.sleep(1)
    assert [o["text"] for o in sent()] == ["Sorry for the wait!"]
    row = admin.execute(
        "select status from outbound_messages where id = %s", (outbound_id,)
    ).fetchone()
    assert row["status"] == "sent"


async def test_a_send_is_handed_on_only_once_its_lease_has_run_out(app, client, admin) -> None:
    """A worker that wrote a reply and died before sending it: the send waits out its writer's
    lease (the writer may still be sending it), then Beat's requeue job takes it."""
    from app.db.session import privileged_session
    from app.outbound import repo as outbound_repo

    _, ws = await _workspace(client)
    ig = _instagram(admin, ws, token="sandbox-token", expires_in=None, age=timedelta(days=1))
    account_id = _account(admin, ig)["id"]
    outbound_id = admin.execute(
        "insert into outbound_messages (workspace_id, social_account_id, idempotency_key, kind, recipient, payload, lease_until)"
        " values (%s, %s, %s, 'dm', 'r2', '{\"text\": \"hi\"}', now() + interval '1 hour') returning id",
        (ws, account_id, f"k-{uuid.uuid4()}"),
    ).fetchone()["id"]

    async def requeue() -> list[str]:
        # the claim Beat's requeue job enqueues (a worker of this module may be consuming the
        # queue itself, so the claim is what is looked at)
        async with privileged_session(app.state.pool) as conn:
            rows = await outbound_repo.claim_unowned_sends(conn, lease_s=20)
        return [r["id"] for r in rows if r["id"] == str(outbound_id)]

    assert await requeue() == [], "its writer still owns it"
    admin.execute(
        "update outbound_messages set lease_until = now() - interval '1 second' where id = %s",
        (outbound_id,),
    )
    assert await requeue() == [str(outbound_id)]
    lease = admin.execute(
        "select lease_until > now() + interval '15 seconds' as leased from outbound_messages where id = %s",
        (outbound_id,),
    ).fetchone()
    assert lease["leased"], "leased again to the task just enqueued"
    assert await requeue() == [], "and not enqueued twice while that task owns it"


@pytest.mark.timeout(120)
async def test_two_beat_processes_do_each_due_job_once(
    client, admin, sandbox, redis_client, tmp_path: Path
) -> None:
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    _, ws = await _workspace(client)
    tag = uuid.uuid4().hex[:8]
    ig = _instagram(
        admin, ws, token=f"twobeats-{tag}", expires_in=timedelta(days=2), age=timedelta(days=58)
    )
    post = admin.execute(
        "insert into scheduled_posts (workspace_id, social_account_id, media_type, media_urls, caption, publish_at)"
        " values (%s, %s, 'IMAGE', %s, 'Two Beats', now()) returning id",
        (ws, _account(admin, ig)["id"], Jsonb([f"{sandbox.url}/_sandbox/samples/square.jpg"])),
    ).fetchone()["id"]
    started = datetime.now(UTC)
    env = {
        "PUBLISH_INTERVAL_S": "3",
        "TOKEN_REFRESH_INTERVAL_S": "3",
        "ANALYTICS_ROLLUP_INTERVAL_S": "3",
        "RETENTION_INTERVAL_S": "3",
        # the other schedules are left out of this run
        "RECONCILE_INTERVAL_S": "3600",
        "WEBHOOK_SWEEP_INTERVAL_S": "3600",
    }
    log = tmp_path / "celery.log"
    worker = processes.start_worker(env, log)
    beats = [processes.start_beat(env, log, tmp_path / f"beat-{n}") for n in (1, 2)]
    jobs = ("refresh_tokens", "roll_up_analytics", "clean_up_events", "publish_due_posts")

    def runs() -> list[dict[str, Any]]:
        return admin.execute(
            "select job, slot, finished_at, duplicates from app_private.job_runs"
            " where started_at >= %s and job = any(%s) order by job, slot",
            (started, list(jobs)),
        ).fetchall()

    try:
        processes.wait_for(
            lambda: all(
                sum(1 for r in runs() if r["job"] == j and r["finished_at"]) >= 3 for j in jobs
            ),
            90,
            lambda: (runs(), log.read_text()[-2000:]),
        )
    finally:
        for beat in beats:
            processes.stop(beat)
        processes.stop(worker)
    done = runs()
    assert sum(r["duplicates"] for r in done) >= len(jobs), (
        "both Beats sent the jobs, and the second claim of each slot did nothing"
    )
    refreshes = [r for r in sandbox.state.token_refreshes if r["old"] == f"twobeats-{tag}"]
    assert len(refreshes) == 1, "the token was refreshed once"
    published = [
        o for o in sandbox.state.outbox if o["account"] == ig and o["endpoint"] == "publish"
    ]
    assert len(published) == 1, "the due post was published once"
    row = admin.execute("select status from scheduled_posts where id = %s", (post,)).fetchone()
    assert row["status"] == "published"
