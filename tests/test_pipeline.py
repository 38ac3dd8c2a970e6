"""From webhook to reply with a real Celery worker on Valkey and the Meta sandbox over HTTP:
exactly one reply, in order, never over a human, never outside the window."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.security.crypto import encrypt_secret
from tests.support.factories import create_workspace, register

HOURS = ("What are your opening hours?", "We are open Monday to Saturday, 9:00 to 18:00.")
SHIPPING = ("Do you ship internationally?", "Yes, we ship to the EU, the UK and the US.")


@pytest.fixture
async def bot(client, admin) -> dict[str, Any]:
    owner = await register(client, "bot")
    ws = (await create_workspace(client, owner, "Sunny Soaps"))["id"]
    for question, answer in (HOURS, SHIPPING):
        assert (
            await client.post(
                "/api/kb/faq",
                headers=owner.headers(ws),
                json={"question": question, "answer": answer},
            )
        ).status_code == 201
    ig, wa = str(uuid.uuid4().int)[:17], str(uuid.uuid4().int)[:15]
    token = encrypt_secret("sandbox-token")
    for platform, external in (("instagram", ig), ("whatsapp", wa)):
        admin.execute(
            "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
            " values (%s, %s, %s, %s)",
            (ws, platform, external, token),
        )
    return {"owner": owner, "ws": ws, "ig": ig, "wa": wa}


def inbound(sandbox, **event) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{sandbox.url}/_sandbox/inbound", json=event, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def sent_to(sandbox, account: str, endpoint: str | None = None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [
        o
        for o in sandbox.state.outbox
        if o["account"] == account and (endpoint is None or o["endpoint"] == endpoint)
    ]


async def eventually(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def _quiet(admin: Any, ws: str) -> bool:
    """Nothing of the workspace's is still in flight: every event finished and every send
    settled. A duplicate reply would need one or the other, so counting after this is final."""
    row = admin.execute(
        """
        select (select count(*) from webhook_events where workspace_id = %(ws)s
                 and status not in ('done', 'ignored', 'failed', 'quarantined'))
             + (select count(*) from outbound_messages where workspace_id = %(ws)s
                 and status in ('pending', 'sending', 'failed', 'unconfirmed')) as busy
        """,
        {"ws": ws},
    ).fetchone()
    return bool(row["busy"] == 0)


async def settle(admin: Any, ws: str) -> None:
    """Wait until the pipeline has done everything it will do for this workspace."""
    await eventually(lambda: _quiet(admin, ws), timeout=60)


async def test_dm_in_one_reply_out(sandbox, bot, admin, worker) -> None:
    inbound(
        sandbox,
        platform="instagram",
        kind="dm",
        account_id=bot["ig"],
        **{"from": "c1"},
        text="when are you open?",
    )
    [reply] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    assert reply["recipient"] == "c1" and reply["text"] == HOURS[1]
    assert reply["metadata"].startswith("socialsync:"), "our echo is recognisable"
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1
    row = admin.execute(
        "select status, platform_message_id from outbound_messages where workspace_id = %s",
        (bot["ws"],),
    ).fetchone()
    assert row == {"status": "sent", "platform_message_id": reply["message_id"]}
    decision = admin.execute(
        "select decision, reasons from ai_decisions where workspace_id = %s", (bot["ws"],)
    ).fetchone()
    assert decision["decision"] == "respond" and decision["reasons"]
    conversation = admin.execute(
        "select owner from conversations where workspace_id = %s", (bot["ws"],)
    ).fetchone()
    assert conversation["owner"] == "bot", (
        "the echo of our own reply did not hand the conversation over"
    )


async def test_an_instagram_customer_gets_a_name_from_their_profile(
    client, sandbox, bot, admin, worker
) -> None:
    customer = f"c-{uuid.uuid4().hex[:8]}"
    httpx.post(
        f"{sandbox.url}/_sandbox/profiles",
        json={"igsid": customer, "name": "Ana Pérez", "username": "ana.perez"},
    )
    inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": customer}, text="hi")

    def named() -> dict[str, Any] | None:
        row: dict[str, Any] | None = admin.execute(
            "select display_name, username, avatar_url, profile_fetched_at from contacts"
            " where workspace_id = %s and external_id = %s and display_name is not null",
            (bot["ws"], customer),
        ).fetchone()
        return row

    contact = await eventually(named)
    assert contact["display_name"] == "Ana Pérez" and contact["username"] == "ana.perez"
    assert contact["avatar_url"].endswith(f"{customer}.jpg")
    listed = await client.get("/api/conversations", headers=bot["owner"].headers(bot["ws"]))
    [conversation] = [c for c in listed.json()["items"] if c["contact_external_id"] == customer]
    assert conversation["contact_name"] == "Ana Pérez" and conversation["contact_picture_url"]

    # cached: the next message does not read the profile again
    inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": customer}, text="ok")
    await settle(admin, bot["ws"])
    assert named()["profile_fetched_at"] == contact["profile_fetched_at"]


async def test_a_slow_or_failing_profile_read_never_holds_the_reply(
    sandbox, bot, admin, worker
) -> None:
    """The profile is read in the worker's background: Meta taking seconds to answer it, then
    failing, changes nothing for the customer, who is answered at once and shown by their id."""
    faults = f"{sandbox.url}/_sandbox/faults"
    httpx.post(
        faults,
        json={"endpoint": "user_profile", "kind": "server_error", "count": 1, "latency_ms": 6000},
    )
    customer = f"c-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": customer}, text="hi")
    try:
        [reply] = await eventually(
            lambda: [
                r for r in sent_to(sandbox, bot["ig"], "send_message") if r["recipient"] == customer
            ]
        )
        assert time.monotonic() - started < 6, "the reply waited for the profile read"
        assert reply["text"], "answered"

        def fault_spent() -> bool:
            return not httpx.get(faults).json()

        await eventually(fault_spent)
        contact = admin.execute(
            "select display_name from contacts where workspace_id = %s and external_id = %s",
            (bot["ws"], customer),
        ).fetchone()
        assert contact["display_name"] is None, "shown by its id until Meta answers"
    finally:
        httpx.delete(faults)


async def test_whatsapp_reply(sandbox, bot, worker) -> None:
    inbound(
        sandbox,
        platform="whatsapp",
        account_id=bot["wa"],
        **{"from": "34600111222"},
        text="do you ship abroad?",
    )
    [reply] = await eventually(lambda: sent_to(sandbox, bot["wa"], "wa_send"))
    assert reply["recipient"] == "+34600111222" and reply["text"] == SHIPPING[1]


async def test_a_whatsapp_customer_known_only_by_business_scoped_id_is_answered(
    sandbox, bot, admin, worker
) -> None:
    bsuid = f"US.{uuid.uuid4().int % 10**19}"
    inbound(
        sandbox,
        platform="whatsapp",
        account_id=bot["wa"],
        **{"from": bsuid},
        text="do you ship abroad?",
    )
    [reply] = await eventually(lambda: sent_to(sandbox, bot["wa"], "wa_send"))
    assert reply["recipient"] == bsuid and reply["text"] == SHIPPING[1], "sent to the BSUID"
    contact = admin.execute(
        "select display_name from contacts where workspace_id = %s and external_id = %s",
        (bot["ws"], bsuid),
    ).fetchone()
    assert contact is not None and contact["display_name"], "the webhook's profile name is kept"


async def test_same_webhook_five_times_concurrently_one_reply(sandbox, bot, admin, worker) -> None:
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c2"},
        text="when are you open?",
        times=5,
        concurrent=True,
    )
    await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1


async def test_burst_of_three_gets_one_coherent_reply(sandbox, bot, admin, worker) -> None:
    for text in ("hi!", "quick question", "do you ship internationally?"):
        inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": "c3"}, text=text)
    [reply] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1
    assert reply["text"] == SHIPPING[1], "the reply answers the burst as a whole"
    stored = admin.execute(
        "select count(*) as n from messages where workspace_id = %s and direction = 'inbound'",
        (bot["ws"],),
    ).fetchone()
    assert stored["n"] == 3, "no message is dropped"


async def test_comment_gets_public_and_private_replies_per_settings(
    sandbox, bot, admin, worker
) -> None:
    admin.execute(
        "update ai_settings set comment_reply_mode = 'both' where workspace_id = %s", (bot["ws"],)
    )
    comment = inbound(
        sandbox,
        platform="instagram",
        kind="comment",
        account_id=bot["ig"],
        **{"from": "c4"},
        username="ana",
        text="do you ship internationally?",
    )
    public = await eventually(lambda: sent_to(sandbox, bot["ig"], "comment_reply"))
    private = await eventually(lambda: sent_to(sandbox, bot["ig"], "private_reply"))
    assert public[0]["recipient"] == comment["platform_id"] and public[0]["text"] == SHIPPING[1]
    assert private[0]["comment_id"] == comment["platform_id"]
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"])) == 2


async def test_abusive_comment_is_hidden(sandbox, bot, worker) -> None:
    comment = inbound(
        sandbox,
        platform="instagram",
        kind="comment",
        account_id=bot["ig"],
        **{"from": "c5"},
        text="you are all stupid idiots",
    )
    [hidden] = await eventually(lambda: sent_to(sandbox, bot["ig"], "hide_comment"))
    assert hidden["recipient"] == comment["platform_id"] and hidden["hidden"] is True
    assert sent_to(sandbox, bot["ig"], "comment_reply") == []


async def test_5xx_and_throttling_are_retried_into_one_reply(sandbox, bot, admin, worker) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "send_message", "kind": "server_error", "count": 2},
    )
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "send_message", "kind": "throttle", "count": 1, "retry_after_s": 1},
    )
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c6"},
        text="when are you open?",
    )
    await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"), timeout=40)
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1
    httpx.delete(f"{sandbox.url}/_sandbox/faults")


async def test_human_takeover_during_the_burst_window_silences_the_bot(
    sandbox, bot, admin, worker
) -> None:
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c7"},
        text="when are you open?",
    )
    httpx.post(
        f"{sandbox.url}/_sandbox/human_reply",
        json={"account_id": bot["ig"], "to": "c7", "text": "Hi, Marta here!"},
    )
    await eventually(
        lambda: (
            admin.execute(
                "select owner from conversations where workspace_id = %s", (bot["ws"],)
            ).fetchone()["owner"]
            == "human"
        )
    )
    await settle(admin, bot["ws"])
    assert sent_to(sandbox, bot["ig"], "send_message") == []


async def test_escalation_keyword_opens_an_escalation_and_the_customer_is_told_once(
    client, sandbox, bot, admin, worker
) -> None:
    from app.agent.ai_settings import DEFAULT_HOLDING_MESSAGE

    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c8"},
        text="I want a refund, this is urgent",
    )
    escalation = await eventually(
        lambda: admin.execute(
            "select reason, status from escalations where workspace_id = %s", (bot["ws"],)
        ).fetchone()
    )
    assert "escalation keyword" in escalation["reason"] and escalation["status"] == "open"
    [holding] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    assert holding["recipient"] == "c8" and holding["text"] == DEFAULT_HOLDING_MESSAGE
    # the customer writes again while staff hold it: the bot stays silent, no second notice
    inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": "c8"}, text="hello??")
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1
    # a customer writing in Spanish is told in Spanish (the default holding message)
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c9"},
        text="Quiero un refund, por favor, ¿me pueden ayudar?",
    )
    spanish = await eventually(
        lambda: [m for m in sent_to(sandbox, bot["ig"], "send_message") if m["recipient"] == "c9"]
    )
    assert spanish[0]["text"].startswith("¡Gracias por tu mensaje!"), spanish

    # staff turned the holding reply off: an escalation sends nothing
    off = await client.patch(
        "/api/agent/settings",
        json={"holding_message": None},
        headers=bot["owner"].headers(bot["ws"]),
    )
    assert off.status_code == 200 and off.json()["holding_message"] is None
    inbound(sandbox, platform="instagram", account_id=bot["ig"], **{"from": "c18"}, text="refund!")
    await eventually(
        lambda: (
            admin.execute(
                "select count(*) as n from escalations where workspace_id = %s", (bot["ws"],)
            ).fetchone()["n"]
            == 3
        )
    )
    await settle(admin, bot["ws"])
    assert [r["recipient"] for r in sent_to(sandbox, bot["ig"], "send_message")] == ["c8", "c9"]


async def test_lost_webhook_is_found_by_reconciliation_and_answered(
    sandbox, bot, app, admin, worker
) -> None:
    from app.reconcile import service as reconcile_service

    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c9"},
        text="when are you open?",
        deliver=False,
    )
    assert sent_to(sandbox, bot["ig"]) == [], "Meta never told us: nothing to answer yet"
    async with httpx.AsyncClient() as http:
        result = await reconcile_service.run_radar(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )
    assert result.found >= 1
    [reply] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    assert reply["recipient"] == "c9" and reply["text"] == HOURS[1]
    async with httpx.AsyncClient() as http:
        again = await reconcile_service.run_radar(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )
    assert again.found == 0, "a second poll (or a second Beat) finds nothing new"
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1


async def test_outside_the_window_becomes_an_escalation(app, bot, admin, sandbox) -> None:
    from app.db.session import Claims, tenant_session
    from app.outbound import repo as outbound_repo
    from app.outbound import service as outbound_service

    ws = bot["ws"]
    account_id = admin.execute(
        "select id from social_accounts where workspace_id = %s and platform = 'instagram'", (ws,)
    ).fetchone()["id"]
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, 'instagram', 'old') returning id",
        (ws, account_id),
    ).fetchone()["id"]
    conversation = admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel, last_inbound_at)"
        " values (%s, %s, %s, 'instagram_dm', %s) returning id",
        (ws, account_id, contact, datetime.now(UTC) - timedelta(hours=30)),
    ).fetchone()["id"]
    async with tenant_session(app.state.pool, Claims.for_worker(ws)) as conn:
        row = await outbound_repo.create_outbound(
            conn,
            workspace_id=ws,
            conversation_id=conversation,
            social_account_id=account_id,
            idempotency_key=uuid.uuid4().hex,
            kind="dm",
            recipient="old",
            payload={"text": "late"},
            lease_s=20,
        )
    async with httpx.AsyncClient() as http:
        outcome = await outbound_service.send_outbound(
            app.state.pool,
            settings=app.state.settings,
            http=http,
            redis=app.state.redis,
            outbound_id=str(row["id"]),
            workspace_id=ws,
        )
    assert outcome.result.value == "escalated"
    assert sent_to(sandbox, bot["ig"]) == []
    escalation = admin.execute(
        "select reason, draft_reply from escalations where conversation_id = %s", (conversation,)
    ).fetchone()
    assert "24-hour" in escalation["reason"] and escalation["draft_reply"] == "late"


async def test_unknown_outcome_is_settled_by_the_echo_not_resent(
    sandbox, bot, admin, worker
) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "send_message", "kind": "latency", "latency_ms": 12000, "count": 1},
    )
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c10"},
        text="when are you open?",
    )

    # the worker's client times out after GRAPH_TIMEOUT_S while the sandbox still delivers, then echoes
    def outbound_status() -> str | None:
        row = admin.execute(
            "select status from outbound_messages where workspace_id = %s", (bot["ws"],)
        ).fetchone()
        return row["status"] if row else None

    assert await eventually(lambda: outbound_status() == "unconfirmed", timeout=30)
    assert await eventually(lambda: outbound_status() == "sent", timeout=40), "the echo settled it"
    await settle(admin, bot["ws"])
    assert len(sent_to(sandbox, bot["ig"], "send_message")) == 1


async def test_dead_letter_is_visible_and_retryable_by_staff(
    client, sandbox, bot, admin, worker
) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "send_message", "kind": "bad_request", "count": 1},
    )
    inbound(
        sandbox,
        platform="instagram",
        account_id=bot["ig"],
        **{"from": "c11"},
        text="when are you open?",
    )
    owner, ws = bot["owner"], bot["ws"]
    dead = await eventually(
        lambda: admin.execute(
            "select id, last_error from outbound_messages where workspace_id = %s and status = 'dead'",
            (ws,),
        ).fetchone()
    )
    listed = (
        await client.get("/api/outbound", params={"status": "dead"}, headers=owner.headers(ws))
    ).json()["items"]
    assert [row["id"] for row in listed] == [str(dead["id"])] and "Invalid parameter" in listed[0][
        "last_error"
    ]
    retried = await client.post(f"/api/outbound/{dead['id']}/retry", headers=owner.headers(ws))
    assert retried.status_code == 202
    [reply] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    assert reply["text"] == HOURS[1]


async def test_a_stored_setting_the_worker_cannot_read_does_not_stop_the_bot(
    sandbox, bot, admin, worker
) -> None:
    admin.execute(
        # a reply limit that is not a number: the reply path used to fail on it every time
        "insert into ai_settings (workspace_id, max_reply_chars)"
        ' values (%s, \'{"instagram_dm": "lots"}\')'
        " on conflict (workspace_id) do update set max_reply_chars = excluded.max_reply_chars",
        (bot["ws"],),
    )
    inbound(
        sandbox,
        platform="instagram",
        kind="dm",
        account_id=bot["ig"],
        **{"from": "c-unreadable"},
        text="when are you open?",
    )
    [reply] = await eventually(lambda: sent_to(sandbox, bot["ig"], "send_message"))
    assert reply["recipient"] == "c-unreadable" and reply["text"] == HOURS[1]


async def test_a_stuck_send_is_looked_up_in_its_own_conversation_never_by_text(
    sandbox, bot, admin, settings, worker
) -> None:
    """Two customers get the same FAQ answer. A send to the second left stuck (`sending`, its
    worker gone) must not count as delivered because the first customer received that text."""
    from app.db.session import Claims, tenant_session
    from app.outbound import repo as outbound_repo
    from app.outbound import service as outbound_service

    for customer in ("same-a", "same-b"):
        inbound(
            sandbox,
            platform="instagram",
            kind="dm",
            account_id=bot["ig"],
            **{"from": customer},
            text="when are you open?",
        )
        await eventually(
            lambda c=customer: [o for o in sent_to(sandbox, bot["ig"]) if o["recipient"] == c]
        )
    conversation_b = admin.execute(
        "select c.id, c.social_account_id from conversations c join contacts ct on ct.id = c.contact_id"
        " where c.workspace_id = %s and ct.external_id = 'same-b'",
        (bot["ws"],),
    ).fetchone()
    from app.db.pool import create_pool

    pool = create_pool(settings, settings.database_url)
    await pool.open()
    try:
        async with tenant_session(pool, Claims.for_worker(bot["ws"])) as conn:
            row = await outbound_repo.create_outbound(
                conn,
                workspace_id=bot["ws"],
                conversation_id=conversation_b["id"],
                social_account_id=conversation_b["social_account_id"],
                idempotency_key=f"stuck:{uuid.uuid4()}",
                kind="dm",
                recipient="same-b",
                payload={"text": HOURS[1]},
                lease_s=20,
            )
        # the first customer gets the same text again after the stuck row was written
        inbound(
            sandbox,
            platform="instagram",
            kind="dm",
            account_id=bot["ig"],
            **{"from": "same-a"},
            text="and when are you open on monday?",
        )
        await eventually(
            lambda: len([o for o in sent_to(sandbox, bot["ig"]) if o["recipient"] == "same-a"]) == 2
        )
        admin.execute(
            "update outbound_messages set status = 'sending', lease_until = now() - interval '1 second'"
            " where id = %s",
            (row["id"],),
        )
        import httpx as _httpx
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(settings.redis_url)
        async with _httpx.AsyncClient() as http:
            outcome = await outbound_service.send_outbound(
                pool,
                settings=settings,
                http=http,
                redis=redis,
                outbound_id=str(row["id"]),
                workspace_id=bot["ws"],
            )
        await redis.aclose()
    finally:
        await pool.close()
    assert outcome.result.value == "sent"
    to_b = [o for o in sent_to(sandbox, bot["ig"]) if o["recipient"] == "same-b"]
    assert len(to_b) == 2, "not found in b's own conversation: sent to b, once"
