"""Connecting an Instagram professional account with Instagram Login, the whole way through the
sandbox over HTTP: the authorize link, the browser's return with a code, the token exchanges,
the account read and subscribed, and every way it can end without a half-stored account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.factories import add_member, create_workspace, register
from tests.support.instagram_login import browse, result, start


def _ig_rows(admin: Any, ws: str) -> list[dict[str, Any]]:
    return admin.execute(
        "select external_id, username, access_token_encrypted, token_expires_at, settings"
        " from social_accounts where workspace_id = %s and platform = 'instagram'",
        (ws,),
    ).fetchall()


async def test_an_owner_connects_an_instagram_account(client, sandbox, admin) -> None:
    owner = await register(client, "ig-owner")
    ws = (await create_workspace(client, owner, "Bakery"))["id"]
    page = await browse(client, await start(client, owner, ws), account="bellas_bakery")
    assert page.status_code == 200 and result(page) == "connected"
    assert "@bellas_bakery is connected" in page.text
    [row] = _ig_rows(admin, ws)
    assert row["username"] == "bellas_bakery" and row["access_token_encrypted"]
    assert row["access_token_encrypted"].startswith("IG") is False, "stored encrypted"
    assert row["token_expires_at"] is not None, "the 60-day token's expiry is kept"
    assert "instagram_business_manage_messages" in row["settings"]["permissions"]
    assert row["external_id"] in sandbox.state.subscribed, "its webhooks now come to us"
    listed = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()["items"]
    assert [a["username"] for a in listed] == ["bellas_bakery"]
    # connecting it again (a new token) keeps the same account
    again = await browse(client, await start(client, owner, ws), account="bellas_bakery")
    assert result(again) == "connected"
    assert len(_ig_rows(admin, ws)) == 1


async def test_denial_a_personal_account_and_a_forged_state_store_nothing(
    client, sandbox, admin
) -> None:
    owner = await register(client, "ig-deny")
    ws = (await create_workspace(client, owner))["id"]
    denied = await browse(client, await start(client, owner, ws), deny="true")
    assert result(denied) == "denied" and denied.status_code == 400
    assert "did not allow" in denied.text
    personal = await browse(
        client, await start(client, owner, ws), account="just_me", account_type="PERSONAL"
    )
    assert result(personal) == "wrong_account_type"
    assert "professional" in personal.text
    url = await start(client, owner, ws)
    forged = url.replace("state=", "state=x")
    assert result(await browse(client, forged)) == "invalid_state"
    assert _ig_rows(admin, ws) == []


async def test_a_used_code_and_an_expired_link_are_refused(
    client, sandbox, admin, settings
) -> None:
    owner = await register(client, "ig-code")
    ws = (await create_workspace(client, owner))["id"]
    at_meta = httpx.get(await start(client, owner, ws), follow_redirects=False)
    back = urlsplit(at_meta.headers["location"])
    first = await client.get(f"{back.path}?{back.query}")
    assert "result=connected" in first.headers["location"]
    replay = await client.get(f"{back.path}?{back.query}")
    assert "result=meta_error" in replay.headers["location"], "a code works once"
    # a link older than OAUTH_STATE_TTL_S
    import time

    import jwt

    expired = jwt.encode(
        {
            "aud": "socialsync:instagram-connect",
            "sub": owner.user_id,
            "ws": ws,
            "exp": int(time.time()) - 1,
        },
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    late = await client.get(
        "/api/social-accounts/instagram/callback", params={"code": "whatever", "state": expired}
    )
    assert "result=invalid_state" in late.headers["location"]


async def test_an_agent_cannot_start_and_another_workspace_cannot_take_the_account(
    client, sandbox, admin
) -> None:
    owner = await register(client, "ig-a")
    ws = (await create_workspace(client, owner))["id"]
    agent = await register(client, "ig-agent")
    await add_member(client, owner, ws, agent, "agent")
    refused = await client.post("/api/social-accounts/instagram/connect", headers=agent.headers(ws))
    assert refused.status_code == 403
    assert (
        result(await browse(client, await start(client, owner, ws), account="one_shop"))
        == "connected"
    )
    rival = await register(client, "ig-rival")
    rival_ws = (await create_workspace(client, rival))["id"]
    taken = await browse(client, await start(client, rival, rival_ws), account="one_shop")
    assert result(taken) == "in_another_workspace"
    assert _ig_rows(admin, rival_ws) == []
    assert len(_ig_rows(admin, ws)) == 1


async def test_disconnecting_an_instagram_account_unsubscribes_it(client, sandbox, admin) -> None:
    owner = await register(client, "ig-off")
    ws = (await create_workspace(client, owner))["id"]
    await browse(client, await start(client, owner, ws), account="closing_shop")
    [account] = (await client.get("/api/social-accounts", headers=owner.headers(ws))).json()[
        "items"
    ]
    assert account["external_id"] in sandbox.state.subscribed
    gone = await client.delete(f"/api/social-accounts/{account['id']}", headers=owner.headers(ws))
    assert gone.status_code == 204
    assert account["external_id"] not in sandbox.state.subscribed
    [row] = _ig_rows(admin, ws)
    assert row["access_token_encrypted"] is None
