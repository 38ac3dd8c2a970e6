"""Stored events become inbox rows once; echoes of our replies are ignored; a human's reply
from the Instagram app hands the conversation to staff."""

from __future__ import annotations

import uuid
from typing import Any

from app.ingest import service as ingest_service
from tests.support.meta import fixture, meta_bytes, personalize, signed_headers
from tests.support.webhooks import events_for


async def _deliver(client, settings, platform: str, payload: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    body = meta_bytes(payload)
    response = await client.post(
        f"/webhooks/{platform}",
        content=body,
        headers=signed_headers(body, settings.meta_app_secret.get_secret_value()),
    )
    assert response.status_code == 200


async def _process_all(pool, admin, account_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    statuses = []
    for event in events_for(admin, account_id):
        if event["ws"]:
            outcome = await ingest_service.process_event(
                pool, event_id=event["id"], workspace_id=event["ws"], lease_s=15.0
            )
            statuses.append(outcome.status)
    return statuses


async def test_dm_and_comment_become_inbox_rows_once(client, settings, account, admin) -> None:
    pool = client._transport.app.state.pool
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_dm_text"), account["ig"], account["suffix"]),
    )
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_comment"), account["ig"], account["suffix"]),
    )
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_comment_self"), account["ig"], account["suffix"]),
    )
    await _deliver(
        client,
        settings,
        "whatsapp",
        personalize(fixture("wa_text"), account["wa"], account["suffix"]),
    )
    assert await _process_all(pool, admin, account["ig"]) == ["done", "done", "ignored"]
    assert await _process_all(pool, admin, account["wa"]) == ["done"]
    # a second run (a redelivered task) changes nothing
    assert await _process_all(pool, admin, account["ig"]) == ["done", "done", "ignored"]

    ws = account["workspace_id"]
    messages = admin.execute(
        "select m.text, m.direction, c.channel from messages m join conversations c on c.id = m.conversation_id where m.workspace_id = %s order by c.channel",
        (ws,),
    ).fetchall()
    assert [(m["channel"], m["text"]) for m in messages] == [
        ("instagram_dm", "Hola! ¿Tenéis envío a Canarias? 🚚"),
        ("whatsapp", "Olá, qual o horário? 🙏"),
    ]
    comments = admin.execute(
        "select text, from_username from comments where workspace_id = %s", (ws,)
    ).fetchall()
    assert comments == [{"text": "How much is this? 😍", "from_username": "ana.garcia"}], (
        "our own comment is not stored as a customer's"
    )
    contact = admin.execute(
        "select display_name from contacts where workspace_id = %s and platform = 'whatsapp'", (ws,)
    ).fetchone()
    assert contact["display_name"] == "Ana"
    conversation = admin.execute(
        "select last_inbound_at from conversations where workspace_id = %s and channel = 'instagram_dm'",
        (ws,),
    ).fetchone()
    assert conversation["last_inbound_at"] is not None, "the messaging window is tracked"


async def test_echoes_of_ours_are_ignored_and_human_replies_hand_over(
    client, settings, account, admin
) -> None:
    pool = client._transport.app.state.pool
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_dm_text"), account["ig"], account["suffix"]),
    )
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_echo_bot"), account["ig"], account["suffix"]),
    )
    await _process_all(pool, admin, account["ig"])
    ws = account["workspace_id"]
    owner = admin.execute(
        "select owner from conversations where workspace_id = %s", (ws,)
    ).fetchone()["owner"]
    assert owner == "bot", "the echo of our own reply changes nothing"

    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_echo_human"), account["ig"], account["suffix"]),
    )
    statuses = await _process_all(pool, admin, account["ig"])
    assert statuses == ["done", "ignored", "done"]
    conversation = admin.execute(
        "select owner from conversations where workspace_id = %s", (ws,)
    ).fetchone()
    assert conversation["owner"] == "human"
    human = admin.execute(
        "select text, sender, direction from messages where workspace_id = %s and sender = 'human'",
        (ws,),
    ).fetchone()
    assert human == {
        "text": "Hi, Marta here from the shop",
        "sender": "human",
        "direction": "outbound",
    }
    # the staff inbox shows it, to nobody in particular; a second reply adds no second one
    again = personalize(fixture("ig_echo_human"), account["ig"], account["suffix"])
    again["entry"][0]["messaging"][0]["message"]["mid"] += ".2"  # another reply, same customer
    await _deliver(client, settings, "instagram", again)
    await _process_all(pool, admin, account["ig"])
    escalations = admin.execute(
        "select reason, status, claimed_by from escalations where workspace_id = %s", (ws,)
    ).fetchall()
    assert escalations == [
        {"reason": "answered in the Instagram app", "status": "open", "claimed_by": None}
    ]


async def test_echo_matching_a_sent_message_id_is_ours(client, settings, account, admin) -> None:
    pool = client._transport.app.state.pool
    await _deliver(
        client,
        settings,
        "instagram",
        personalize(fixture("ig_dm_text"), account["ig"], account["suffix"]),
    )
    await _process_all(pool, admin, account["ig"])
    ws = account["workspace_id"]
    conversation_id = admin.execute(
        "select id from conversations where workspace_id = %s", (ws,)
    ).fetchone()["id"]
    echo = personalize(fixture("ig_echo_human"), account["ig"], account["suffix"])
    mid = echo["entry"][0]["messaging"][0]["message"]["mid"]
    admin.execute(
        "insert into outbound_messages (workspace_id, conversation_id, idempotency_key, kind, recipient, payload, status, platform_message_id)"
        " values (%s, %s, %s, 'dm', 'x', '{}', 'sent', %s)",
        (ws, conversation_id, uuid.uuid4().hex, mid),
    )
    await _deliver(client, settings, "instagram", echo)
    assert (await _process_all(pool, admin, account["ig"]))[-1] == "ignored"
    assert (
        admin.execute(
            "select owner from conversations where id = %s", (conversation_id,)
        ).fetchone()["owner"]
        == "bot"
    )


async def test_a_reply_typed_in_the_whatsapp_business_app_hands_the_conversation_to_staff(
    client, settings, account, admin
) -> None:
    """Coexistence: the number is also used in the WhatsApp Business app; what the business
    types there comes as `smb_message_echoes` and is the staff's reply, not a customer's."""
    pool = client._transport.app.state.pool
    ws = account["workspace_id"]
    await _deliver(
        client,
        settings,
        "whatsapp",
        personalize(fixture("wa_text"), account["wa"], account["suffix"]),
    )
    await _deliver(
        client,
        settings,
        "whatsapp",
        personalize(fixture("wa_smb_message_echoes"), account["wa"], account["suffix"]),
    )
    statuses = await _process_all(pool, admin, account["wa"])
    assert statuses == ["done", "done"]
    rows = admin.execute(
        "select m.direction, m.sender, m.text, c.owner, c.channel, k.external_id"
        "  from messages m join conversations c on c.id = m.conversation_id"
        "  join contacts k on k.id = c.contact_id"
        " where m.workspace_id = %s and m.sender = 'human'",
        (ws,),
    ).fetchall()
    assert rows == [
        {
            "direction": "outbound",
            "sender": "human",
            "text": "Hi Ana, your order is ready for pickup.",
            "owner": "human",
            "channel": "whatsapp",
            "external_id": "34600111222",
        }
    ], "the business's own reply, in the customer's conversation, which a person now holds"
    [escalated] = admin.execute(
        "select reason, status from escalations where workspace_id = %s", (ws,)
    ).fetchall()
    assert escalated == {"reason": "answered in the WhatsApp Business app", "status": "open"}
