"""Inviting people who have no account yet (emailed through a real SMTP server, or the link
handed to the owner without one), accepting once with the invited address, expiry and
revocation; the default workspace; deleting a workspace."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.factories import create_workspace, register
from tests.support.mail import inbox, mail_client, wait_for_mail

__all__ = ["inbox", "mail_client"]  # fixtures


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _address() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@bakery.test"


async def _invite(client: Any, owner: Any, ws: str, email: str, role: str = "agent") -> Any:
    return await client.post(
        f"/api/workspaces/{ws}/members",
        json={"email": email, "role": role},
        headers=owner.headers(),
    )


async def _signup(client: Any, email: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": "bread and butter"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _bearer(tokens: dict[str, Any], ws: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return headers | ({"X-Workspace-Id": ws} if ws else {})


async def test_an_emailed_invite_is_accepted_once_by_the_invited_address(
    mail_client, inbox
) -> None:
    handler, _ = inbox
    owner = await register(mail_client, "inviter")
    ws = (await create_workspace(mail_client, owner, "Bella's Bakery"))["id"]
    email = _address()
    invited = await _invite(mail_client, owner, ws, email, "manager")
    assert invited.status_code == 202, invited.text
    body = invited.json()
    assert body["status"] == "pending" and body["emailed"] is True and body["invite_url"] is None
    mail = await wait_for_mail(handler, email)
    assert "Bella's Bakery" in mail["Subject"]
    text = mail.get_payload(decode=True).decode()
    link = re.search(r"http\S+/invite\?\S+", text)
    assert link, text
    token = _token(link.group(0))

    stranger = await _signup(mail_client, _address())
    wrong = await mail_client.post(
        "/api/invites/accept", json={"token": token}, headers=_bearer(stranger)
    )
    assert wrong.status_code == 403
    assert wrong.json()["detail"]["error_code"] == "invite_for_another_email"

    invitee = await _signup(mail_client, email)
    joined = await mail_client.post(
        "/api/invites/accept", json={"token": token}, headers=_bearer(invitee)
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["id"] == ws and joined.json()["role"] == "manager"
    listed = await mail_client.get("/api/workspaces", headers=_bearer(invitee))
    assert [w["id"] for w in listed.json()["items"]] == [ws]
    again = await mail_client.post(
        "/api/invites/accept", json={"token": token}, headers=_bearer(invitee)
    )
    assert again.status_code == 409 and again.json()["detail"]["error_code"] == "invite_used"
    invites = await mail_client.get(f"/api/workspaces/{ws}/invites", headers=owner.headers())
    assert [i["status"] for i in invites.json()["items"]] == ["accepted"]


async def test_without_smtp_the_owner_gets_the_link_and_the_page_joins(client, admin) -> None:
    owner = await register(client, "inviter")
    ws = (await create_workspace(client, owner, "Corner Shop"))["id"]
    email = _address()
    invited = (await _invite(client, owner, ws, email)).json()
    assert invited["emailed"] is False and invited["invite_url"]
    path = urlsplit(invited["invite_url"])
    page = await client.get(f"{path.path}?{path.query}")
    assert page.status_code == 200 and "Corner Shop" in page.text and email in page.text

    form = {"token": _token(invited["invite_url"]), "email": email}
    weak = await client.post("/invite", data=form | {"password": "password1", "action": "register"})
    assert weak.status_code == 400 and "commonly used" in weak.text
    done = await client.post(
        "/invite", data=form | {"password": "a shop of my own", "action": "register"}
    )
    assert done.status_code == 200 and "You joined" in done.text
    members = admin.execute(
        "select role from workspace_members where workspace_id = %s and email = %s", (ws, email)
    ).fetchall()
    assert members == [{"role": "agent"}]
    used = await client.get(f"{path.path}?{path.query}")
    assert used.status_code == 410


async def test_revoked_expired_and_replaced_invites_no_longer_work(client, admin) -> None:
    owner = await register(client, "inviter")
    ws = (await create_workspace(client, owner))["id"]
    revoked_email, expired_email, replaced_email = _address(), _address(), _address()

    revoked = (await _invite(client, owner, ws, revoked_email)).json()
    gone = await client.delete(
        f"/api/workspaces/{ws}/invites/{revoked['id']}", headers=owner.headers()
    )
    assert gone.status_code == 200 and gone.json()["status"] == "revoked"
    person = await _signup(client, revoked_email)
    refused = await client.post(
        "/api/invites/accept",
        json={"token": _token(revoked["invite_url"])},
        headers=_bearer(person),
    )
    assert refused.status_code == 409 and refused.json()["detail"]["error_code"] == "invite_revoked"

    expired = (await _invite(client, owner, ws, expired_email)).json()
    admin.execute(
        "update workspace_invites set expires_at = now() - interval '1 minute' where id = %s",
        (expired["id"],),
    )
    late = await client.post(
        "/api/invites/accept",
        json={"token": _token(expired["invite_url"])},
        headers=_bearer(await _signup(client, expired_email)),
    )
    assert late.status_code == 409 and late.json()["detail"]["error_code"] == "invite_expired"

    first = (await _invite(client, owner, ws, replaced_email)).json()
    second = (await _invite(client, owner, ws, replaced_email, "manager")).json()
    newcomer = await _signup(client, replaced_email)
    old = await client.post(
        "/api/invites/accept",
        json={"token": _token(first["invite_url"])},
        headers=_bearer(newcomer),
    )
    assert old.status_code == 409, "a new invite replaces the pending one"
    new = await client.post(
        "/api/invites/accept",
        json={"token": _token(second["invite_url"])},
        headers=_bearer(newcomer),
    )
    assert new.status_code == 200 and new.json()["role"] == "manager"

    # only owners see and manage invites; another workspace's owner cannot touch them
    outsider = await register(client, "outsider")
    await create_workspace(client, outsider)
    listed = await client.get(f"/api/workspaces/{ws}/invites", headers=outsider.headers())
    assert listed.status_code == 404
    revoke = await client.delete(
        f"/api/workspaces/{ws}/invites/{second['id']}", headers=outsider.headers()
    )
    assert revoke.status_code == 404
    unknown = await client.post(
        "/api/invites/accept", json={"token": "no-such-token-at-all"}, headers=outsider.headers()
    )
    assert unknown.status_code == 404


async def test_a_chosen_default_workspace_is_used_without_a_header(client) -> None:
    owner = await register(client, "default")
    first = (await create_workspace(client, owner, "First"))["id"]
    second = (await create_workspace(client, owner, "Second"))["id"]

    async def current() -> str:
        accounts = await client.get("/api/social-accounts", headers=owner.headers())
        assert accounts.status_code == 200
        listed = (await client.get("/api/workspaces", headers=owner.headers())).json()["items"]
        return next((w["id"] for w in listed if w["is_default"]), first)

    assert await current() == first, "the oldest until one is chosen"
    chosen = await client.post(f"/api/workspaces/{second}/default", headers=owner.headers())
    assert chosen.status_code == 200 and chosen.json()["is_default"] is True
    assert await current() == second
    audit = await client.post("/api/workspaces", json={"name": "Third"}, headers=owner.headers())
    assert audit.status_code == 201
    assert await current() == second, "a new workspace does not take over"
    stranger = await register(client, "stranger")
    refused = await client.post(f"/api/workspaces/{second}/default", headers=stranger.headers())
    assert refused.status_code == 404


async def test_an_owner_deletes_a_workspace_by_naming_it(client, admin, sandbox) -> None:
    owner = await register(client, "deleter")
    ws = (await create_workspace(client, owner, "Closing Down"))["id"]
    manager = await register(client, "manager")
    await client.post(
        f"/api/workspaces/{ws}/members",
        json={"email": manager.email, "role": "manager"},
        headers=owner.headers(),
    )
    business = httpx.post(
        f"{sandbox.url}/_sandbox/whatsapp/businesses",
        json={"verified_name": "Closing Down", "display_phone_number": "+34 600 000 999"},
    ).json()
    connected = await client.post(
        "/api/social-accounts/whatsapp", headers=owner.headers(ws), json=business
    )
    assert connected.status_code == 201
    assert business["waba_id"] in sandbox.state.subscribed

    by_manager = await client.delete(
        f"/api/workspaces/{ws}", params={"confirm_name": "Closing Down"}, headers=manager.headers()
    )
    assert by_manager.status_code == 403
    wrong = await client.delete(
        f"/api/workspaces/{ws}", params={"confirm_name": "closing down"}, headers=owner.headers()
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"]["error_code"] == "confirmation_mismatch"
    deleted = await client.delete(
        f"/api/workspaces/{ws}", params={"confirm_name": "Closing Down"}, headers=owner.headers()
    )
    assert deleted.status_code == 204
    assert business["waba_id"] not in sandbox.state.subscribed, "Meta stops sending its updates"
    assert (await client.get(f"/api/workspaces/{ws}", headers=owner.headers())).status_code == 404
    left = admin.execute(
        "select (select count(*) from social_accounts where workspace_id = %(ws)s)"
        " + (select count(*) from workspace_members where workspace_id = %(ws)s)"
        " + (select count(*) from audit_log where workspace_id = %(ws)s) as n",
        {"ws": ws},
    ).fetchone()
    assert left["n"] == 0
