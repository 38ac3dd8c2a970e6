"""Staff take over what the bot escalates: list, claim, answer (within Meta's windows, with
HUMAN_AGENT after 24 h), hand back; a real worker sends through the sandbox."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from app.security.crypto import encrypt_secret
from tests.support.factories import add_member, create_workspace, register
from tests.support.processes import until, wait_for

HOURS = ("What are your opening hours?", "We are open Monday to Saturday, 9:00 to 18:00.")


@pytest.fixture
async def shop_inbox(client, admin) -> dict[str, Any]:
    owner = await register(client, "inbox")
    ws = (await create_workspace(client, owner, "Corner Shop"))["id"]
    agent = await register(client, "agent")
    await add_member(client, owner, ws, agent, "agent")
    await client.post(
        "/api/kb/faq",
        headers=owner.headers(ws),
        json={"question": HOURS[0], "answer": HOURS[1]},
    )
    ig, wa = str(uuid.uuid4().int)[:17], str(uuid.uuid4().int)[:15]
    for platform, external in (("instagram", ig), ("whatsapp", wa)):
        admin.execute(
            "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
            " values (%s, %s, %s, %s)",
            (ws, platform, external, encrypt_secret("sandbox-token")),
        )
    return {"owner": owner, "agent": agent, "ws": ws, "ig": ig, "wa": wa}


def _outbox(sandbox, account: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [o for o in sandbox.state.outbox if o["account"] == account]


async def test_escalation_claimed_answered_and_handed_back(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    ws, ig, agent, owner = (shop_inbox[k] for k in ("ws", "ig", "agent", "owner"))
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "account_id": ig,
            "from": "cust1",
            "text": "I want a refund, urgent",
        },
    )

    async def escalations() -> list[dict[str, Any]]:
        response = await client.get("/api/escalations?status=open", headers=agent.headers(ws))
        assert response.status_code == 200
        return list(response.json()["items"])

    [escalation] = await until(escalations)
    assert "refund" in escalation["reason"] and escalation["contact_external_id"] == "cust1"
    conversation_id = escalation["conversation_id"]

    claimed = await client.post(
        f"/api/escalations/{escalation['id']}/claim", headers=agent.headers(ws)
    )
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == agent.user_id
    taken = await client.post(
        f"/api/escalations/{escalation['id']}/claim", headers=owner.headers(ws)
    )
    assert taken.status_code == 409
    assert taken.json()["detail"]["error_code"] == "escalation_not_claimable"

    headers = {**agent.headers(ws), "Idempotency-Key": "answer-1"}
    body = {"text": "So sorry! Your refund is on its way."}
    first = await client.post(
        f"/api/conversations/{conversation_id}/messages", headers=headers, json=body
    )
    again = await client.post(
        f"/api/conversations/{conversation_id}/messages", headers=headers, json=body
    )
    assert first.status_code == 202 and again.status_code == 202, first.text
    assert first.json()["outbound_id"] == again.json()["outbound_id"]
    assert first.json()["tag"] is None, "inside 24 h no tag is needed"
    wait_for(lambda: len(_outbox(sandbox, ig)) >= 2, 20)

    detail = (
        await client.get(f"/api/conversations/{conversation_id}", headers=agent.headers(ws))
    ).json()
    assert detail["owner"] == "human" and detail["assigned_user_id"] == agent.user_id
    wait_for(
        lambda: (
            len(
                admin.execute(
                    "select 1 from messages where conversation_id = %s", (conversation_id,)
                ).fetchall()
            )
            == 3
        ),
        10,
    )
    detail = (
        await client.get(f"/api/conversations/{conversation_id}", headers=agent.headers(ws))
    ).json()
    assert [(m["direction"], m["sender"]) for m in detail["messages"]] == [
        ("inbound", "contact"),
        ("outbound", "bot"),  # the holding reply
        ("outbound", "human"),
    ]
    texts = [o["text"] for o in _outbox(sandbox, ig)]
    assert texts[1:] == [body["text"]] and "person from our team" in texts[0], "each sent once"

    resolved = await client.post(
        f"/api/escalations/{escalation['id']}/resolve",
        headers=agent.headers(ws),
        json={"hand_back": True},
    )
    assert resolved.status_code == 204
    assert await escalations() == []
    held = (await client.get("/api/conversations?owner=human", headers=agent.headers(ws))).json()
    assert conversation_id not in [c["id"] for c in held["items"]]

    # back with the bot: the next question is answered automatically
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "account_id": ig,
            "from": "cust1",
            "text": "when are you open?",
        },
    )
    wait_for(lambda: len(_outbox(sandbox, ig)) == 3, 20)
    assert _outbox(sandbox, ig)[-1]["text"] == HOURS[1]
    actions = [
        r["action"]
        for r in admin.execute(
            "select action from audit_log where workspace_id = %s order by id", (ws,)
        ).fetchall()
    ]
    assert actions[-3:] == ["escalation.claim", "conversation.reply", "escalation.resolve"]


def _old_conversation(
    admin, shop: dict[str, Any], platform: str, contact: str, age: timedelta
) -> str:  # type: ignore[no-untyped-def]
    account = admin.execute(
        "select id from social_accounts where workspace_id = %s and platform = %s",
        (shop["ws"], platform),
    ).fetchone()["id"]
    contact_id = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, %s, %s) returning id",
        (shop["ws"], account, platform, contact),
    ).fetchone()["id"]
    channel = "whatsapp" if platform == "whatsapp" else "instagram_dm"
    return str(
        admin.execute(
            "insert into conversations (workspace_id, social_account_id, contact_id, channel, owner, last_inbound_at)"
            " values (%s, %s, %s, %s, 'human', %s) returning id",
            (shop["ws"], account, contact_id, channel, datetime.now(UTC) - age),
        ).fetchone()["id"]
    )


async def test_staff_replies_follow_metas_windows(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    ws, ig, wa, agent = (shop_inbox[k] for k in ("ws", "ig", "wa", "agent"))
    three_days = _old_conversation(admin, shop_inbox, "instagram", "late1", timedelta(days=3))
    response = await client.post(
        f"/api/conversations/{three_days}/messages",
        headers=agent.headers(ws),
        json={"text": "Still there?"},
    )
    assert response.status_code == 202 and response.json()["tag"] == "HUMAN_AGENT"
    [sent] = wait_for(lambda: _outbox(sandbox, ig), 20)
    assert sent["tag"] == "HUMAN_AGENT" and sent["recipient"] == "late1"

    ten_days = _old_conversation(admin, shop_inbox, "instagram", "late2", timedelta(days=10))
    refused = await client.post(
        f"/api/conversations/{ten_days}/messages",
        headers=agent.headers(ws),
        json={"text": "Hello?"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"]["error_code"] == "outside_messaging_window"
    assert (
        admin.execute(
            "select count(*) as n from outbound_messages where conversation_id = %s", (ten_days,)
        ).fetchone()["n"]
        == 0
    )

    whatsapp = _old_conversation(admin, shop_inbox, "whatsapp", "+351910000000", timedelta(days=2))
    plain = await client.post(
        f"/api/conversations/{whatsapp}/messages", headers=agent.headers(ws), json={"text": "Hi!"}
    )
    assert plain.status_code == 422 and plain.json()["detail"]["error_code"] == "template_required"
    templated = await client.post(
        f"/api/conversations/{whatsapp}/messages",
        headers=agent.headers(ws),
        json={"template": {"name": "order_update", "language": "pt_PT"}},
    )
    assert templated.status_code == 202, templated.text
    [wa_sent] = wait_for(lambda: _outbox(sandbox, wa), 20)
    assert wa_sent["type"] == "template" and wa_sent["template"]["name"] == "order_update"

    both = await client.post(
        f"/api/conversations/{whatsapp}/messages",
        headers=agent.headers(ws),
        json={"text": "x", "template": {"name": "y"}},
    )
    assert both.status_code == 422 and both.json()["detail"]["error_code"] == "validation_error"


async def test_other_workspaces_cannot_see_or_answer(client, shop_inbox, admin) -> None:
    conversation = _old_conversation(admin, shop_inbox, "instagram", "c-x", timedelta(hours=1))
    stranger = await register(client, "stranger")
    await create_workspace(client, stranger)
    for method, path, body in (
        ("get", f"/api/conversations/{conversation}", None),
        ("post", f"/api/conversations/{conversation}/messages", {"text": "hi"}),
        ("post", f"/api/conversations/{conversation}/take-over", None),
        ("post", f"/api/conversations/{conversation}/hand-back", None),
    ):
        response = await client.request(method, path, headers=stranger.headers(), json=body)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["detail"]["error_code"] == "conversation_not_found"
    assert (await client.get("/api/escalations", headers=stranger.headers())).json()["items"] == []
    row = admin.execute("select owner from conversations where id = %s", (conversation,)).fetchone()
    assert row["owner"] == "human"
    assert (
        admin.execute(
            "select count(*) as n from outbound_messages where conversation_id = %s",
            (conversation,),
        ).fetchone()["n"]
        == 0
    )


async def test_answering_from_the_escalation_with_the_bots_draft_or_own_words(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    ws, ig, agent, owner = (shop_inbox[k] for k in ("ws", "ig", "agent", "owner"))
    waited, fresh = (
        _old_conversation(admin, shop_inbox, "instagram", name, age)
        for name, age in (("c-waited", timedelta(hours=3)), ("c-fresh", timedelta(minutes=5)))
    )
    ids = {}
    for conversation, draft in ((waited, "We ship tomorrow."), (fresh, None)):
        admin.execute(
            "insert into messages (workspace_id, conversation_id, direction, sender, text, sent_at)"
            " values (%s, %s, 'inbound', 'contact', 'where is my order?', now())",
            (ws, conversation),
        )
        ids[conversation] = admin.execute(
            "insert into escalations (workspace_id, conversation_id, reason, draft_reply)"
            " values (%s, %s, 'order question', %s) returning id",
            (ws, conversation, draft),
        ).fetchone()["id"]

    longest = await client.get(
        "/api/escalations",
        params={"sort": "longest_waiting", "assignee": "unassigned", "channel": "instagram_dm"},
        headers=agent.headers(ws),
    )
    assert [e["conversation_id"] for e in longest.json()["items"]] == [waited, fresh]
    assert longest.json()["items"][0]["waiting_s"] > 3 * 3600 - 60
    detail = await client.get(f"/api/escalations/{ids[waited]}", headers=agent.headers(ws))
    assert detail.status_code == 200
    assert [m["text"] for m in detail.json()["messages"]] == ["where is my order?"]
    assert detail.json()["draft_reply"] == "We ship tomorrow."

    approved = await client.post(
        f"/api/escalations/{ids[waited]}/reply",
        json={"approve_draft": True},
        headers=agent.headers(ws),
    )
    assert approved.status_code == 202, approved.text
    no_draft = await client.post(
        f"/api/escalations/{ids[fresh]}/reply",
        json={"approve_draft": True},
        headers=agent.headers(ws),
    )
    assert no_draft.status_code == 409 and no_draft.json()["detail"]["error_code"] == "no_draft"
    own = await client.post(
        f"/api/escalations/{ids[fresh]}/reply",
        json={"text": "Let me check, one minute."},
        headers=owner.headers(ws),
    )
    assert own.status_code == 202
    wait_for(lambda: len(_outbox(sandbox, ig)) >= 2, 20)
    sent = {o["recipient"]: o["text"] for o in _outbox(sandbox, ig)}
    assert sent == {"c-waited": "We ship tomorrow.", "c-fresh": "Let me check, one minute."}
    mine = await client.get(
        "/api/escalations", params={"assignee": "mine"}, headers=agent.headers(ws)
    )
    assert [e["id"] for e in mine.json()["items"]] == [str(ids[waited])], "answering claims it"
    taken = await client.post(
        f"/api/escalations/{ids[waited]}/reply", json={"text": "me too"}, headers=owner.headers(ws)
    )
    assert taken.status_code == 409, "someone else's escalation"
    stranger = await register(client, "stranger")
    await create_workspace(client, stranger)
    for path in (f"/api/escalations/{ids[waited]}", f"/api/escalations/{ids[waited]}/reply"):
        response = await client.request(
            "POST" if path.endswith("reply") else "GET",
            path,
            json={"text": "hi"} if path.endswith("reply") else None,
            headers=stranger.headers(),
        )
        assert response.status_code == 404, path


async def test_longest_waiting_escalations_follow_each_customers_wait(
    client, shop_inbox, admin
) -> None:
    """Customers still waiting come first (oldest wait first), then those already told
    something, by how long they have been with staff; claiming and resolving move them between
    the lists at once, pages keep the order."""
    ws, agent = shop_inbox["ws"], shop_inbox["agent"]
    now = datetime.now(UTC)

    def escalated(name: str, waited: timedelta | None, opened: timedelta) -> str:
        conversation = _old_conversation(admin, shop_inbox, "instagram", name, timedelta(hours=9))
        if waited is None:  # the holding reply went out after the customer's last message
            admin.execute(
                "update conversations set last_inbound_at = %s, last_outbound_at = %s where id = %s",
                (now - opened, now - opened + timedelta(seconds=5), conversation),
            )
        else:
            admin.execute(
                "update conversations set last_inbound_at = %s where id = %s",
                (now - waited, conversation),
            )
        return str(
            admin.execute(
                "insert into escalations (workspace_id, conversation_id, reason, created_at)"
                " values (%s, %s, 'needs a person', %s) returning id",
                (ws, conversation, now - opened),
            ).fetchone()["id"]
        )

    told_long = escalated("told-5h", None, timedelta(hours=5))
    waits_3h = escalated("waits-3h", timedelta(hours=3), timedelta(hours=1))
    told_short = escalated("told-2h", None, timedelta(hours=2))
    waits_1h = escalated("waits-1h", timedelta(hours=1), timedelta(hours=4))

    async def listed(status: str, limit: int = 50) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            params = {"status": status, "sort": "longest_waiting", "limit": limit}
            response = await client.get(
                "/api/escalations",
                params=params | ({"cursor": cursor} if cursor else {}),
                headers=agent.headers(ws),
            )
            assert response.status_code == 200, response.text
            ids += [e["id"] for e in response.json()["items"]]
            if not (cursor := response.json()["next_cursor"]):
                return ids

    expected = [waits_3h, waits_1h, told_long, told_short]
    assert await listed("open") == expected
    assert await listed("open", limit=1) == expected, "the order holds across pages"

    claimed = await client.post(f"/api/escalations/{waits_1h}/claim", headers=agent.headers(ws))
    assert claimed.status_code == 200, claimed.text
    assert await listed("open") == [waits_3h, told_long, told_short]
    assert await listed("claimed") == [waits_1h]

    resolved = await client.post(
        f"/api/escalations/{waits_3h}/resolve", headers=agent.headers(ws), json={}
    )
    assert resolved.status_code == 204, resolved.text
    assert await listed("open") == [told_long, told_short]
    # the customer writes again: now waiting, they go ahead of everyone told something
    admin.execute(
        "update conversations set last_inbound_at = now() where id ="
        " (select conversation_id from escalations where id = %s)",
        (told_short,),
    )
    assert await listed("open") == [told_short, told_long]


def test_an_escalation_opened_while_another_is_resolved_stays_listed(
    shop_inbox, admin, servers
) -> None:
    """Two people change one conversation's escalations at once (the bot opens a new one while
    staff resolve the old): whichever commits last, the conversation still shows as with staff,
    since the oldest escalation that is open."""
    ws = shop_inbox["ws"]
    conversation = _old_conversation(admin, shop_inbox, "instagram", "race", timedelta(hours=2))
    old = admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, 'first')"
        " returning id",
        (ws, conversation),
    ).fetchone()["id"]

    with (
        psycopg.connect(servers.admin_url) as opening,
        psycopg.connect(servers.admin_url) as resolving,
    ):
        new = opening.execute(
            "insert into escalations (workspace_id, conversation_id, reason)"
            " values (%s, %s, 'second') returning id, created_at",
            (ws, conversation),
        ).fetchone()
        with ThreadPoolExecutor(1) as pool:
            # waits for the opening transaction, which holds the conversation row
            resolved = pool.submit(
                lambda: (
                    resolving.execute(
                        "update escalations set status = 'resolved' where id = %s", (old,)
                    ),
                    resolving.commit(),
                )
            )
            wait_for(
                lambda: (
                    admin.execute(
                        "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock'"
                    ).fetchone()["n"]
                    >= 1
                ),
                10,
                lambda: "the resolve did not wait for the conversation row the opening holds",
            )
            opening.commit()
            resolved.result(timeout=10)
    since = admin.execute(
        "select open_escalation_at from conversations where id = %s", (conversation,)
    ).fetchone()["open_escalation_at"]
    assert since == new[1], "the open escalation is the one the list orders by"


async def test_a_released_dead_letter_goes_out_once_or_says_why_not(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    ws, ig, owner = shop_inbox["ws"], shop_inbox["ig"], shop_inbox["owner"]
    held = _old_conversation(admin, shop_inbox, "instagram", "c-dead", timedelta(hours=2))
    stale = _old_conversation(admin, shop_inbox, "instagram", "c-stale", timedelta(days=9))
    account = admin.execute(
        "select id from social_accounts where workspace_id = %s and platform = 'instagram'", (ws,)
    ).fetchone()["id"]
    dead = {}
    for conversation, contact in ((held, "c-dead"), (stale, "c-stale")):
        admin.execute(
            "insert into escalations (workspace_id, conversation_id, reason)"
            " values (%s, %s, 'the reply died')",
            (ws, conversation),
        )
        dead[conversation] = admin.execute(
            "insert into outbound_messages (workspace_id, conversation_id, social_account_id,"
            " idempotency_key, kind, recipient, payload, status, last_error)"
            " values (%s, %s, %s, %s, 'dm', %s, %s, 'dead', 'gave up after retries')"
            " returning id",
            (ws, conversation, account, f"dead-{conversation}", contact, '{"text": "Here it is"}'),
        ).fetchone()["id"]

    released = await client.post(f"/api/outbound/{dead[held]}/retry", headers=owner.headers(ws))
    assert released.status_code == 202
    wait_for(lambda: [o for o in _outbox(sandbox, ig) if o["recipient"] == "c-dead"], 20)
    row = admin.execute(
        "select status, sender from outbound_messages where id = %s", (dead[held],)
    ).fetchone()
    assert row == {"status": "sent", "sender": "human"}, "sent, as the releasing person's"
    escalations = admin.execute(
        "select count(*) as n from escalations where conversation_id = %s", (held,)
    ).fetchone()
    assert escalations["n"] == 1, "no second escalation"

    refused = await client.post(f"/api/outbound/{dead[stale]}/retry", headers=owner.headers(ws))
    assert refused.status_code == 422
    assert refused.json()["detail"]["error_code"] == "outside_messaging_window"
    assert (
        "7 days" in refused.json()["detail"]["message"]
        or "window" in refused.json()["detail"]["message"]
    )
    assert [o for o in _outbox(sandbox, ig) if o["recipient"] == "c-stale"] == []


async def test_a_conversation_staff_left_idle_goes_back_to_the_bot(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    ws, ig = shop_inbox["ws"], shop_inbox["ig"]
    idle = _old_conversation(admin, shop_inbox, "instagram", "c-idle", timedelta(hours=3))
    busy = _old_conversation(admin, shop_inbox, "instagram", "c-busy", timedelta(hours=3))
    admin.execute(
        "update conversations set last_outbound_at = now() - interval '3 hours',"
        " updated_at = now() - interval '3 hours' where id = %s",
        (idle,),
    )
    admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, 'x')",
        (ws, idle),
    )
    for customer in ("c-idle", "c-busy"):
        httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={"platform": "instagram", "account_id": ig, "from": customer, "text": HOURS[0]},
        )
    [answer] = wait_for(lambda: [o for o in _outbox(sandbox, ig) if o["recipient"] == "c-idle"], 20)
    assert answer["text"] == HOURS[1], "the bot answers again after staff went quiet"
    rows = {
        r["id"]: r
        for r in admin.execute(
            "select id::text, owner from conversations where id = any(%s::uuid[])", ([idle, busy],)
        ).fetchall()
    }
    assert rows[idle]["owner"] == "bot" and rows[busy]["owner"] == "human"
    still_open = admin.execute(
        "select count(*) as n from escalations where conversation_id = %s and status <> 'resolved'",
        (idle,),
    ).fetchone()
    assert still_open["n"] == 0
    assert [o for o in _outbox(sandbox, ig) if o["recipient"] == "c-busy"] == [], (
        "a conversation staff are working stays theirs"
    )


async def test_canned_replies_kept_by_managers_and_used_by_everyone(client, shop_inbox) -> None:
    ws, agent, owner = (shop_inbox[k] for k in ("ws", "agent", "owner"))
    body = {"title": "Shipping", "text": "Orders ship within 2 working days.", "shortcut": "ship"}
    created = await client.post("/api/canned-replies", json=body, headers=owner.headers(ws))
    assert created.status_code == 201, created.text
    reply = created.json()
    assert (reply["title"], reply["shortcut"]) == ("Shipping", "ship")
    taken = await client.post(
        "/api/canned-replies", json=body | {"title": "Again"}, headers=owner.headers(ws)
    )
    assert taken.status_code == 409 and taken.json()["detail"]["error_code"] == "shortcut_taken"
    await client.post(
        "/api/canned-replies",
        json={"title": "Hours", "text": "We open at 8, Monday to Saturday."},
        headers=owner.headers(ws),
    )
    refused = await client.post(
        "/api/canned-replies", json={"title": "Mine", "text": "x"}, headers=agent.headers(ws)
    )
    assert refused.status_code == 403, "agents use them; managers and owners keep them"

    listed = await client.get("/api/canned-replies", headers=agent.headers(ws))
    assert [r["title"] for r in listed.json()["items"]] == ["Shipping", "Hours"]
    found = await client.get(
        "/api/canned-replies", params={"q": "monday"}, headers=agent.headers(ws)
    )
    assert [r["title"] for r in found.json()["items"]] == ["Hours"]
    wildcard = await client.get("/api/canned-replies", params={"q": "%"}, headers=agent.headers(ws))
    assert wildcard.json()["items"] == [], "% is a character, not a wildcard"

    changed = await client.patch(
        f"/api/canned-replies/{reply['id']}",
        json={"text": "We ship within 24 hours.", "shortcut": None},
        headers=owner.headers(ws),
    )
    assert changed.status_code == 200
    assert (changed.json()["text"], changed.json()["shortcut"]) == (
        "We ship within 24 hours.",
        None,
    )

    stranger = await register(client, "canned-stranger")
    await create_workspace(client, stranger)
    for method, body_ in (("get", None), ("patch", {"text": "pwned"}), ("delete", None)):
        response = await client.request(
            method, f"/api/canned-replies/{reply['id']}", json=body_, headers=stranger.headers()
        )
        assert response.status_code == 404, (method, response.text)
    assert (await client.get("/api/canned-replies", headers=stranger.headers())).json()[
        "items"
    ] == []
    gone = await client.delete(f"/api/canned-replies/{reply['id']}", headers=owner.headers(ws))
    assert gone.status_code == 204
    listed = await client.get("/api/canned-replies", headers=agent.headers(ws))
    assert [r["title"] for r in listed.json()["items"]] == ["Hours"]


async def test_staff_send_a_picture_from_the_media_library(
    client, sandbox, worker, shop_inbox, admin
) -> None:
    import io

    from PIL import Image

    ws, ig, wa, agent, owner = (shop_inbox[k] for k in ("ws", "ig", "wa", "agent", "owner"))
    out = io.BytesIO()
    Image.new("RGB", (800, 800), (200, 40, 40)).save(out, format="JPEG")
    uploaded = await client.post(
        "/api/media",
        headers=owner.headers(ws),
        files={"file": ("cake.jpg", out.getvalue(), "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text
    picture = uploaded.json()
    instagram = _old_conversation(admin, shop_inbox, "instagram", "pic-ig", timedelta(minutes=5))
    whatsapp = _old_conversation(admin, shop_inbox, "whatsapp", "34600111222", timedelta(minutes=5))

    mixed = await client.post(
        f"/api/conversations/{instagram}/messages",
        json={"text": "Here it is", "media_id": picture["id"]},
        headers=agent.headers(ws),
    )
    assert mixed.status_code == 422 and mixed.json()["detail"]["error_code"] == "image_with_text"
    missing = await client.post(
        f"/api/conversations/{instagram}/messages",
        json={"media_id": str(uuid.uuid4())},
        headers=agent.headers(ws),
    )
    assert missing.status_code == 404
    assert missing.json()["detail"]["error_code"] == "media_not_found"

    for conversation, body in (
        (instagram, {"media_id": picture["id"]}),
        (whatsapp, {"media_id": picture["id"], "text": "Your cake!"}),
    ):
        sent = await client.post(
            f"/api/conversations/{conversation}/messages", json=body, headers=agent.headers(ws)
        )
        assert sent.status_code == 202, sent.text
    wait_for(lambda: len(_outbox(sandbox, ig)) >= 1 and len(_outbox(sandbox, wa)) >= 1, 20)
    [on_instagram], [on_whatsapp] = _outbox(sandbox, ig), _outbox(sandbox, wa)
    assert on_instagram["media"] == picture["public_url"] and not on_instagram["text"]
    assert (on_whatsapp["media"], on_whatsapp["text"]) == (picture["public_url"], "Your cake!")
    thread = wait_for(
        lambda: admin.execute(
            "select attachments from messages where conversation_id = %s and direction = 'outbound'",
            (instagram,),
        ).fetchall(),
        10,
    )
    assert thread[0]["attachments"] == [{"type": "image", "url": picture["public_url"]}]

    stranger = await register(client, "pic-stranger")
    theirs = (await create_workspace(client, stranger))["id"]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s)",
        (theirs, str(uuid.uuid4().int)[:17], encrypt_secret("sandbox-token")),
    )
    foreign = await client.post(
        f"/api/conversations/{instagram}/messages",
        json={"media_id": picture["id"]},
        headers=stranger.headers(theirs),
    )
    assert foreign.status_code == 404
