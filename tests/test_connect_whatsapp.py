"""Connecting a WhatsApp number by hand (a system-user token, the WABA id, the phone number id),
checked live against the sandbox's Graph API before anything is stored; reconnecting and
disconnecting; and what another workspace or a lesser role may not do."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.factories import add_member, create_workspace, register


def _business(
    sandbox: Any, name: str = "Bella's Bakery", number: str = "+34 600 111 222"
) -> dict[str, str]:
    response = httpx.post(
        f"{sandbox.url}/_sandbox/whatsapp/businesses",
        json={"verified_name": name, "display_phone_number": number},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _stored(admin: Any, phone_number_id: str) -> list[dict[str, Any]]:
    return admin.execute(
        "select workspace_id::text as ws, access_token_encrypted, token_status, disconnected_at"
        " from social_accounts where platform = 'whatsapp' and external_id = %s",
        (phone_number_id,),
    ).fetchall()


async def test_a_manager_connects_a_number_checked_with_meta_first(client, sandbox, admin) -> None:
    owner = await register(client, "wa-owner")
    ws = (await create_workspace(client, owner, "Bakery"))["id"]
    business = _business(sandbox)
    response = await client.post(
        "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business
    )
    assert response.status_code == 201, response.text
    account = response.json()
    assert (
        account["platform"] == "whatsapp" and account["external_id"] == business["phone_number_id"]
    )
    assert account["display_name"] == "Bella's Bakery" and account["username"] == "+34 600 111 222"
    assert account["quality_rating"] == "GREEN" and account["has_token"] is True
    assert "access_token" not in account
    assert business["waba_id"] in sandbox.state.subscribed, "the WABA now sends us its webhooks"
    [row] = _stored(admin, business["phone_number_id"])
    assert row["ws"] == ws and row["access_token_encrypted"]
    assert business["access_token"] not in row["access_token_encrypted"], "stored encrypted"
    listed = await client.get("/api/social-accounts", headers=owner.headers(ws))
    assert [a["external_id"] for a in listed.json()["items"]] == [business["phone_number_id"]]
    audit = admin.execute("select action from audit_log where workspace_id = %s", (ws,)).fetchall()
    assert {"action": "social_account.connected"} in audit


async def test_wrong_credentials_are_refused_with_what_to_do_and_nothing_is_stored(
    client, sandbox, admin
) -> None:
    owner = await register(client, "wa-wrong")
    ws = (await create_workspace(client, owner))["id"]
    mine, theirs = _business(sandbox), _business(sandbox, "Other Shop", "+1 555 0199")

    async def connect(body: dict[str, str]) -> httpx.Response:
        return await client.post(
            "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=body
        )

    wrong_token = await connect({**mine, "access_token": "EAAnotatoken12345"})
    assert wrong_token.status_code == 400
    assert wrong_token.json()["detail"]["error_code"] == "meta_token_invalid"
    # another business's number with my token and my WABA
    foreign = await connect({**mine, "phone_number_id": theirs["phone_number_id"]})
    assert foreign.status_code == 400
    assert foreign.json()["detail"]["error_code"] == "phone_number_not_in_waba"
    # my token for another business's WABA
    no_access = await connect({**theirs, "access_token": mine["access_token"]})
    assert no_access.status_code == 400
    assert no_access.json()["detail"]["error_code"] == "meta_permission_missing"
    malformed = await connect({**mine, "waba_id": "not-a-number"})
    assert malformed.status_code == 422
    assert _stored(admin, mine["phone_number_id"]) == []
    assert _stored(admin, theirs["phone_number_id"]) == []
    assert mine["waba_id"] not in sandbox.state.subscribed


async def test_meta_down_is_a_503_to_retry_and_nothing_is_stored(client, sandbox, admin) -> None:
    owner = await register(client, "wa-down")
    ws = (await create_workspace(client, owner))["id"]
    business = _business(sandbox)
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "phone_numbers", "kind": "server_error", "count": 10},
    )
    try:
        response = await client.post(
            "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business
        )
    finally:
        httpx.delete(f"{sandbox.url}/_sandbox/faults")
    assert response.status_code == 503
    assert response.json()["detail"]["error_code"] == "meta_unavailable"
    assert _stored(admin, business["phone_number_id"]) == []


async def test_an_agent_may_not_connect_and_another_workspace_may_not_take_the_number(
    client, sandbox, admin
) -> None:
    owner = await register(client, "wa-a")
    ws = (await create_workspace(client, owner))["id"]
    agent = await register(client, "wa-agent")
    await add_member(client, owner, ws, agent, "agent")
    business = _business(sandbox)
    refused = await client.post(
        "/api/social-accounts/whatsapp", headers=agent.headers(ws), json=business
    )
    assert refused.status_code == 403
    assert refused.json()["detail"]["error_code"] == "insufficient_role"
    assert (
        await client.post("/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business)
    ).status_code == 201
    rival = await register(client, "wa-rival")
    rival_ws = (await create_workspace(client, rival))["id"]
    taken = await client.post(
        "/api/social-accounts/whatsapp", headers=rival.headers(rival_ws), json=business
    )
    assert taken.status_code == 409
    assert taken.json()["detail"]["error_code"] == "account_in_another_workspace"
    [row] = _stored(admin, business["phone_number_id"])
    assert row["ws"] == ws, "the first workspace keeps it"
    account_id = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()[
        "items"
    ][0]["id"]
    gone = await client.delete(
        f"/api/social-accounts/{account_id}", headers=rival.headers(rival_ws)
    )
    assert gone.status_code == 404, "another workspace cannot disconnect it either"
    assert _stored(admin, business["phone_number_id"])[0]["access_token_encrypted"]


async def test_disconnect_keeps_the_conversations_and_reconnecting_resumes(
    client, sandbox, admin
) -> None:
    owner = await register(client, "wa-cycle")
    ws = (await create_workspace(client, owner))["id"]
    business = _business(sandbox)
    account = (
        await client.post("/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business)
    ).json()
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id)"
        " values (%s, %s, 'whatsapp', '34600999888') returning id",
        (ws, account["id"]),
    ).fetchone()["id"]
    admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel)"
        " values (%s, %s, %s, 'whatsapp')",
        (ws, account["id"], contact),
    )
    gone = await client.delete(f"/api/social-accounts/{account['id']}", headers=owner.headers(ws))
    assert gone.status_code == 204
    assert business["waba_id"] not in sandbox.state.subscribed
    [row] = _stored(admin, business["phone_number_id"])
    assert row["access_token_encrypted"] is None and row["token_status"] == "revoked"
    assert row["disconnected_at"] is not None
    listed = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    assert listed[0]["has_token"] is False and listed[0]["disconnected_at"]
    conversations = (await client.get("/api/conversations", headers=owner.headers(ws))).json()
    assert len(conversations["items"]) == 1
    again = await client.post(
        "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business
    )
    assert again.status_code == 201
    assert again.json()["id"] == account["id"], "the same account, its history kept"
    assert again.json()["has_token"] is True and again.json()["disconnected_at"] is None
    assert business["waba_id"] in sandbox.state.subscribed


async def test_what_came_before_connecting_becomes_the_workspaces(client, sandbox, admin) -> None:
    from tests.support.processes import wait_for

    owner = await register(client, "wa-early")
    ws = (await create_workspace(client, owner))["id"]
    business = _business(sandbox, "Early Bird", "+34 600 444 555")
    number = business["phone_number_id"]
    for sender, text in (("34611000001", "hello?"), ("34611000002", "old question")):
        httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={"platform": "whatsapp", "account_id": number, "from": sender, "text": text},
        )

    def held() -> list[dict[str, Any]]:
        return admin.execute(
            "select id, workspace_id::text as ws, status, last_error, payload->>'text' as text"
            " from webhook_events where account_external_id = %s order by id",
            (number,),
        ).fetchall()

    wait_for(lambda: len(held()) == 2, 20)
    assert {e["status"] for e in held()} == {"quarantined"} and held()[0]["ws"] is None
    admin.execute(
        "update webhook_events set occurred_at = now() - interval '3 days' where id = %s",
        (held()[1]["id"],),
    )
    response = await client.post(
        "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business
    )
    assert response.status_code == 201
    recent, old = held()
    assert recent["ws"] == ws and recent["status"] in ("pending", "enqueued", "processing", "done")
    assert old["ws"] == ws and old["status"] == "ignored"
    assert old["last_error"] == "received before the account was connected"
    audit = admin.execute(
        "select details from audit_log where workspace_id = %s"
        " and action = 'social_account.earlier_updates_adopted'",
        (ws,),
    ).fetchone()
    assert audit["details"] == {"processed": 1, "kept": 1}


async def test_embedded_signup_exchanges_the_code_at_once_and_connects(
    client, sandbox, admin
) -> None:
    owner = await register(client, "wa-embedded")
    ws = (await create_workspace(client, owner))["id"]
    popup = httpx.post(f"{sandbox.url}/_sandbox/whatsapp/embedded-signup").json()
    response = await client.post(
        "/api/social-accounts/whatsapp/embedded-signup", headers=owner.headers(ws), json=popup
    )
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["external_id"] == popup["phone_number_id"] and account["has_token"]
    assert popup["waba_id"] in sandbox.state.subscribed
    [row] = _stored(admin, popup["phone_number_id"])
    assert row["ws"] == ws and row["access_token_encrypted"]

    replay = await client.post(
        "/api/social-accounts/whatsapp/embedded-signup", headers=owner.headers(ws), json=popup
    )
    assert replay.status_code == 400
    assert replay.json()["detail"]["error_code"] == "signup_code_invalid", "a code works once"
    agent = await register(client, "wa-embedded-agent")
    await add_member(client, owner, ws, agent, "agent")
    fresh = httpx.post(f"{sandbox.url}/_sandbox/whatsapp/embedded-signup").json()
    denied = await client.post(
        "/api/social-accounts/whatsapp/embedded-signup", headers=agent.headers(ws), json=fresh
    )
    assert denied.status_code == 403
