"""Signing out, the password policy, and resetting a forgotten password by an emailed link
(through a real SMTP server on this machine), or from the log when no SMTP is configured."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.mail import inbox, mail_client, wait_for_mail

__all__ = ["inbox", "mail_client"]  # fixtures


def _email() -> str:
    return f"reset-{uuid.uuid4().hex[:10]}@bakery.test"


async def _register(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def _token_in(text: str) -> str:
    link = re.search(r"http\S+/reset-password\?\S+", text)
    assert link, text
    return parse_qs(urlsplit(link.group(0)).query)["token"][0]


async def test_weak_passwords_are_refused_with_what_to_do(client) -> None:
    email = _email()
    for weak in ("password123", "Qwertyuiop", "zzzzzzzzzz", email):
        response = await client.post("/api/auth/register", json={"email": email, "password": weak})
        assert response.status_code == 400, weak
        detail = response.json()["detail"]
        assert detail["error_code"] == "weak_password" and detail["message"]
    short = await client.post("/api/auth/register", json={"email": email, "password": "abc"})
    assert short.status_code == 422
    await _register(client, email, "a strong oven mitt")


async def test_signing_out_ends_that_session_only(client) -> None:
    email = _email()
    first = await _register(client, email, "flour sugar butter")
    second = (await _login(client, email, "flour sugar butter")).json()
    assert (await client.post("/api/auth/refresh", json=_rt(first))).status_code == 200
    out = await client.post("/api/auth/logout", json=_rt(first))
    assert out.status_code == 204
    refused = await client.post("/api/auth/refresh", json=_rt(first))
    assert refused.status_code == 401
    assert refused.json()["detail"]["error_code"] == "token_revoked"
    assert (await client.post("/api/auth/logout", json=_rt(first))).status_code == 401
    assert (await client.post("/api/auth/refresh", json=_rt(second))).status_code == 200
    forged = await client.post("/api/auth/logout", json={"refresh_token": "not-a-token"})
    assert forged.status_code == 401


def _rt(tokens: dict[str, Any]) -> dict[str, str]:
    return {"refresh_token": tokens["refresh_token"]}


async def test_a_reset_link_is_emailed_works_once_and_signs_out_every_session(
    mail_client, inbox
) -> None:
    handler, _ = inbox
    email = _email()
    await _register(mail_client, email, "old rye loaf")
    other_session = (await _login(mail_client, email, "old rye loaf")).json()

    nobody = await mail_client.post("/api/auth/password-reset", json={"email": _email()})
    asked = await mail_client.post("/api/auth/password-reset", json={"email": email})
    assert nobody.status_code == asked.status_code == 202
    assert nobody.json() == asked.json(), "nothing tells who has an account"
    mail = await wait_for_mail(handler, email)
    assert "Reset your SocialSync password" in mail["Subject"]
    token = _token_in(mail.get_payload(decode=True).decode())

    confirm = "/api/auth/password-reset/confirm"
    weak = await mail_client.post(confirm, json={"token": token, "password": "password123"})
    assert weak.status_code == 400 and weak.json()["detail"]["error_code"] == "weak_password"
    done = await mail_client.post(confirm, json={"token": token, "password": "new sourdough"})
    assert done.status_code == 200 and done.json()["user"]["email"] == email

    again = await mail_client.post(confirm, json={"token": token, "password": "another one x"})
    assert again.status_code == 401
    assert again.json()["detail"]["error_code"] == "reset_token_invalid", "single use"
    assert (await _login(mail_client, email, "old rye loaf")).status_code == 401
    assert (await _login(mail_client, email, "new sourdough")).status_code == 200
    old = await mail_client.post("/api/auth/refresh", json=_rt(other_session))
    assert old.status_code == 401, "sessions from before the reset are signed out"
    forged = await mail_client.post(
        confirm, json={"token": token[:-4] + "AAAA", "password": "new sourdough 2"}
    )
    assert forged.status_code == 401


async def test_the_emailed_link_opens_a_page_that_sets_the_password(mail_client, inbox) -> None:
    handler, _ = inbox
    email = _email()
    await _register(mail_client, email, "crusty baguette")
    await mail_client.post("/api/auth/password-reset", json={"email": email})
    token = _token_in((await wait_for_mail(handler, email)).get_payload(decode=True).decode())
    form = await mail_client.get("/reset-password", params={"token": token})
    assert form.status_code == 200 and "<form" in form.text and "type=password" in form.text
    weak = await mail_client.post("/reset-password", data={"token": token, "password": "password1"})
    assert weak.status_code == 400 and "<form" in weak.text, "tried again on the same page"
    done = await mail_client.post(
        "/reset-password", data={"token": token, "password": "crusty ciabatta"}
    )
    assert done.status_code == 200 and "Password changed" in done.text
    used = await mail_client.post("/reset-password", data={"token": token, "password": "x" * 12})
    assert used.status_code == 401 and "ask for a new one" in used.text
    assert (await _login(mail_client, email, "crusty ciabatta")).status_code == 200


async def test_without_smtp_the_reset_link_is_in_the_log(client) -> None:
    from structlog.testing import capture_logs

    email = _email()
    await _register(client, email, "plain white bread")
    with capture_logs() as logs:
        response = await client.post("/api/auth/password-reset", json={"email": email})
    assert response.status_code == 202
    [entry] = [e for e in logs if "reset link" in e["event"]]
    token = _token_in(entry["link"])
    done = await client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "password": "rustic rye bread"}
    )
    assert done.status_code == 200
