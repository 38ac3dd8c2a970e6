"""POST/GET /webhooks/{platform}: verification, durable idempotent storage, enqueueing."""

from __future__ import annotations

import asyncio
import json
import uuid

from tests.support.factories import create_workspace, register
from tests.support.meta import fixture, meta_bytes, personalize, signed_headers
from tests.support.webhooks import enqueued_event_ids, events_for, post, secret


async def test_handshake(client, settings) -> None:
    token = settings.meta_verify_token.get_secret_value()
    for platform in ("instagram", "whatsapp"):
        ok = await client.get(
            f"/webhooks/{platform}",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": token,
                "hub.challenge": "1158201444",
            },
        )
        assert ok.status_code == 200 and ok.text == "1158201444"
        assert ok.headers["content-type"].startswith("text/plain")
    wrong = await client.get(
        "/webhooks/instagram",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert (
        wrong.status_code == 403 and wrong.json()["detail"]["error_code"] == "verify_token_mismatch"
    )
    unknown = await client.get("/webhooks/telegram", params={"hub.mode": "subscribe"})
    assert unknown.status_code == 422


async def test_signatures(client, settings, account, admin, queues) -> None:
    payload = personalize(fixture("ig_dm_text"), account["ig"], account["suffix"])
    body = meta_bytes(payload)
    missing = await client.post(
        "/webhooks/instagram", content=body, headers={"Content-Type": "application/json"}
    )
    assert (
        missing.status_code == 401 and missing.json()["detail"]["error_code"] == "signature_missing"
    )
    wrong = await client.post(
        "/webhooks/instagram", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    assert wrong.status_code == 403 and wrong.json()["detail"]["error_code"] == "signature_invalid"
    other_secret = await client.post(
        "/webhooks/instagram", content=body, headers=signed_headers(body, "another-apps-secret")
    )
    assert other_secret.status_code == 403
    reserialized = json.dumps(
        payload, ensure_ascii=False
    ).encode()  # what a careless proxy would do
    tampered = await client.post(
        "/webhooks/instagram", content=reserialized, headers=signed_headers(body, secret(settings))
    )
    assert tampered.status_code == 403
    assert events_for(admin, account["ig"]) == [], "nothing is written for a rejected request"
    assert enqueued_event_ids(queues) == []

    ok = await post(client, "instagram", payload, secret(settings))
    assert ok.status_code == 200 and ok.json() == {"received": 1, "stored": 1, "quarantined": 0}


async def test_bad_bodies(client, settings, account, admin) -> None:
    s = secret(settings)
    huge = b'{"object":"instagram","entry":[' + b" " * (5 * 1024 * 1024) + b"]}"
    too_big = await client.post(
        "/webhooks/instagram", content=huge, headers=signed_headers(huge, s)
    )
    assert (
        too_big.status_code == 413 and too_big.json()["detail"]["error_code"] == "payload_too_large"
    )
    truncated = meta_bytes(personalize(fixture("ig_dm_text"), account["ig"], account["suffix"]))[
        :-7
    ]
    response = await post(client, "instagram", None, s, body=truncated)
    assert (
        response.status_code == 400 and response.json()["detail"]["error_code"] == "malformed_json"
    )
    not_json = await post(client, "instagram", None, s, body=b"hello=world")
    assert (
        not_json.status_code == 400 and not_json.json()["detail"]["error_code"] == "malformed_json"
    )
    latin1 = await post(
        client, "instagram", None, s, body=b'{"object": "instagram", "entry": ["\xff"]}'
    )
    assert latin1.status_code == 400
    wrong_object = await post(client, "instagram", fixture("wa_text"), s)
    assert (
        wrong_object.status_code == 400
        and wrong_object.json()["detail"]["error_code"] == "invalid_payload"
    )
    assert events_for(admin, account["ig"]) == []


async def test_non_ascii_and_emoji_as_meta_signs_them(client, settings, account, admin) -> None:
    payload = personalize(fixture("ig_dm_text"), account["ig"], account["suffix"])
    body = meta_bytes(payload)
    assert b"\\ud83d\\ude9a" in body, "Meta escapes non-ASCII before signing"
    assert (
        await post(client, "instagram", payload, secret(settings), body=body)
    ).status_code == 200
    # unescaped UTF-8 bytes are accepted too when they are what was signed
    wa = personalize(fixture("wa_text"), account["wa"], account["suffix"])
    utf8 = json.dumps(wa, ensure_ascii=False).encode()
    assert (await post(client, "whatsapp", wa, secret(settings), body=utf8)).status_code == 200
    [ig_event] = events_for(admin, account["ig"])
    [wa_event] = events_for(admin, account["wa"])
    assert ig_event["payload"]["text"] == "Hola! ¿Tenéis envío a Canarias? 🚚"
    assert wa_event["payload"]["text"] == "Olá, qual o horário? 🙏"


async def test_batched_and_every_kind_is_stored(client, settings, account, admin, queues) -> None:
    s = secret(settings)
    response = await post(
        client, "instagram", personalize(fixture("ig_batched"), account["ig"], account["suffix"]), s
    )
    assert response.json() == {"received": 5, "stored": 5, "quarantined": 0}
    names = [
        "ig_dm_attachments",
        "ig_reaction",
        "ig_read",
        "ig_postback",
        "ig_message_edit",
        "ig_deleted",
        "ig_echo_human",
        "ig_comment",
        "ig_mention",
    ]
    for name in names:
        assert (
            await post(
                client, "instagram", personalize(fixture(name), account["ig"], account["suffix"]), s
            )
        ).status_code == 200
    for name in (
        "wa_text",
        "wa_image",
        "wa_interactive_button",
        "wa_location",
        "wa_status_delivered",
        "wa_status_failed",
        "wa_unknown_field",
    ):
        payload = personalize(fixture(name), account["wa"], account["suffix"])
        if name == "wa_unknown_field":
            payload["entry"][0]["changes"][0]["value"]["phone_number_id"] = account["wa"]
        assert (await post(client, "whatsapp", payload, s)).status_code == 200
    ig_events = events_for(admin, account["ig"])
    assert [e["kind"] for e in ig_events[:5]] == [
        "ig_message",
        "ig_message",
        "ig_read",
        "ig_comment",
        "unknown",
    ]
    assert ig_events[4]["status"] == "ignored", "unknown kinds are kept, not processed"
    assert {e["kind"] for e in ig_events} >= {
        "ig_reaction",
        "ig_postback",
        "ig_message_edit",
        "ig_message_deleted",
        "ig_echo",
        "ig_mention",
    }
    assert all(e["ws"] == account["workspace_id"] for e in ig_events)
    wa_events = events_for(admin, account["wa"])
    assert [e["kind"] for e in wa_events] == ["wa_message"] * 4 + ["wa_status"] * 2
    processable = [e["id"] for e in ig_events + wa_events if e["status"] != "ignored"]
    assert enqueued_event_ids(queues) == sorted(processable)
    assert all(e["status"] == "enqueued" for e in ig_events + wa_events if e["id"] in processable)


async def test_duplicates_sequential_and_concurrent(
    client, settings, account, admin, queues
) -> None:
    s = secret(settings)
    payload = personalize(fixture("ig_dm_text"), account["ig"], account["suffix"])
    results = [await post(client, "instagram", payload, s) for _ in range(3)]
    assert [r.json()["stored"] for r in results] == [1, 0, 0]
    wa = personalize(fixture("wa_text"), account["wa"], account["suffix"])
    concurrent = await asyncio.gather(*(post(client, "whatsapp", wa, s) for _ in range(10)))
    assert all(r.status_code == 200 for r in concurrent)
    assert sum(r.json()["stored"] for r in concurrent) == 1
    stored = events_for(admin, account["ig"]) + events_for(admin, account["wa"])
    assert len(stored) == 2
    assert enqueued_event_ids(queues) == sorted(e["id"] for e in stored), "one enqueue per event"


async def test_unknown_account_is_quarantined(client, settings, admin, queues) -> None:
    stranger = str(uuid.uuid4().int)[:17]
    payload = personalize(fixture("ig_dm_text"), stranger, uuid.uuid4().hex[:8])
    response = await post(client, "instagram", payload, secret(settings))
    assert response.status_code == 200 and response.json()["quarantined"] == 1
    [event] = events_for(admin, stranger)
    assert event["status"] == "quarantined" and event["ws"] is None
    assert enqueued_event_ids(queues) == []


async def test_tenants_cannot_see_each_others_events(client, settings, account, admin) -> None:
    from app.db.session import Claims, tenant_session

    await post(
        client,
        "instagram",
        personalize(fixture("ig_dm_text"), account["ig"], account["suffix"]),
        secret(settings),
    )
    intruder = await register(client)
    await create_workspace(client, intruder)
    pool = client._transport.app.state.pool
    async with tenant_session(pool, Claims.for_user(intruder.user_id)) as conn:
        cur = await conn.execute(
            "select count(*) as n from webhook_events where account_external_id = %s",
            (account["ig"],),
        )
        assert (await cur.fetchone())["n"] == 0
    async with tenant_session(pool, Claims.for_user(account["owner"].user_id)) as conn:
        cur = await conn.execute(
            "select count(*) as n from webhook_events where account_external_id = %s",
            (account["ig"],),
        )
        assert (await cur.fetchone())["n"] == 1
