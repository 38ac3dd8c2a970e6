"""Meta's deauthorize and data-deletion callbacks for Instagram Login: only a request signed with
the app secret is honoured; deauthorizing disconnects the account and tells its staff why; a
data-deletion request deletes what we hold for the account and answers with a code and a page
that confirms it. Another workspace's accounts are never touched."""

from __future__ import annotations

import time
from typing import Any

import httpx

from app.platforms.meta import signed_request
from tests.support.conversation import send_dm
from tests.support.factories import create_workspace, register
from tests.support.instagram_login import browse, result, start
from tests.support.processes import wait_for


async def _connected(client: Any, owner: Any, ws: str, username: str) -> dict[str, Any]:
    page = await browse(client, await start(client, owner, ws), account=username)
    assert result(page) == "connected"
    listed = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    [account] = [a for a in listed if a["username"] == username]
    return account


def _signed(settings: Any, user_id: str, secret: str | None = None) -> str:
    key = secret or settings.app_secret_for("instagram").get_secret_value()
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": user_id}
    return signed_request.encode(payload, key)


async def test_only_a_signed_deauthorize_disconnects_and_staff_see_why(
    client, sandbox, admin, settings
) -> None:
    owner = await register(client, "deauth")
    ws = (await create_workspace(client, owner))["id"]
    account = await _connected(client, owner, ws, "deauth_shop")
    ig = account["external_id"]

    forged = await client.post(
        "/webhooks/instagram/deauthorize",
        data={"signed_request": _signed(settings, ig, secret="not-the-app-secret")},
    )
    assert forged.status_code == 403
    assert forged.json()["detail"]["error_code"] == "signed_request_invalid"
    for junk in ("no-dot", "!!!.@@@", "abc.def"):
        bad = await client.post("/webhooks/instagram/deauthorize", data={"signed_request": junk})
        assert bad.status_code in (400, 403), junk
        assert bad.json()["detail"]["error_code"].startswith("signed_request_")
    missing = await client.post("/webhooks/instagram/deauthorize", data={})
    assert missing.status_code in (400, 422)
    listed = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    assert listed[0]["has_token"] and listed[0]["token_status"] == "ok", "nothing changed"

    done = await client.post(
        "/webhooks/instagram/deauthorize", data={"signed_request": _signed(settings, ig)}
    )
    assert done.status_code == 200 and done.json() == {"disconnected": 1}
    [after] = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    assert after["has_token"] is False and after["disconnected_at"] is not None
    assert after["token_status"] == "revoked"
    assert after["health"]["problem"] == "deauthorized"
    assert "Reconnect" in after["health"]["advice"]
    audit = admin.execute(
        "select action, actor_user_id from audit_log where workspace_id = %s", (ws,)
    ).fetchall()
    assert {"action": "social_account.deauthorized", "actor_user_id": None} in audit

    # connecting it again resumes it, flag gone
    again = await _connected(client, owner, ws, "deauth_shop")
    assert again["has_token"] and again["health"]["problem"] is None


async def test_data_deletion_removes_the_account_and_answers_with_a_confirmation_page(
    client, sandbox, admin, settings
) -> None:
    owner = await register(client, "erase")
    ws = (await create_workspace(client, owner))["id"]
    other_owner = await register(client, "erase-other")
    other_ws = (await create_workspace(client, other_owner))["id"]
    gone = await _connected(client, owner, ws, "erase_me")
    kept = await _connected(client, other_owner, other_ws, "keep_me")
    for account in (gone, kept):
        send_dm(sandbox, account["external_id"], "customer-1", "hello, my address is ...")

    def raw_updates(ig: str) -> int:
        row = admin.execute(
            "select count(*) as n from webhook_events where account_external_id = %s", (ig,)
        ).fetchone()
        return int(row["n"])

    wait_for(lambda: raw_updates(gone["external_id"]) and raw_updates(kept["external_id"]), 20)
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id, display_name)"
        " values (%s, %s, 'instagram', 'customer-1', 'Ana') returning id",
        (ws, gone["id"]),
    ).fetchone()
    admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel)"
        " values (%s, %s, %s, 'instagram_dm')",
        (ws, gone["id"], contact["id"]),
    )

    response = await client.post(
        "/webhooks/instagram/data-deletion",
        data={"signed_request": _signed(settings, gone["external_id"])},
    )
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["confirmation_code"] and receipt["url"].endswith(receipt["confirmation_code"])
    assert raw_updates(gone["external_id"]) == 0
    assert (
        admin.execute(
            "select count(*) as n from contacts where workspace_id = %s", (ws,)
        ).fetchone()["n"]
        == 0
    )
    listed = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    assert listed == []
    assert raw_updates(kept["external_id"]) >= 1, "another workspace's account is untouched"
    other = (
        await client.get("/api/social-accounts", headers=other_owner.headers(other_ws))
    ).json()["items"]
    assert [a["username"] for a in other] == ["keep_me"] and other[0]["has_token"]

    page = await client.get(httpx.URL(receipt["url"]).path)
    assert page.status_code == 200 and receipt["confirmation_code"] in page.text
    assert "Data deleted" in page.text
    unknown = await client.get("/webhooks/instagram/data-deletion/not-a-code")
    assert unknown.status_code == 404 and "No data deletion request" in unknown.text
