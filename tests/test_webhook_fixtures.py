"""Every real payload in tests/fixtures/meta (SOURCES.md says where each comes from) through the
real webhook endpoint, the real Celery worker on Valkey and the sandbox: each update is stored
for the right workspace and finished by the worker, none fails, and what customers wrote lands
in the inbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from app.security.crypto import encrypt_secret
from tests.support.factories import create_workspace, register
from tests.support.meta import FIXTURES, fixture, personalize
from tests.support.webhooks import events_for, post, secret

FINISHED = {"done", "ignored"}
# WABA-level updates name no phone number: no workspace can be told which number they concern
NO_ACCOUNT = {"wa_unknown_field"}


@pytest.fixture
async def connected(client, admin) -> dict[str, Any]:
    owner = await register(client, "fixtures")
    ws = (await create_workspace(client, owner, "Fixture Shop"))["id"]
    ig, wa = str(uuid.uuid4().int)[:17], str(uuid.uuid4().int)[:15]
    token = encrypt_secret("sandbox-token")
    for platform, external in (("instagram", ig), ("whatsapp", wa)):
        admin.execute(
            "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
            " values (%s, %s, %s, %s)",
            (ws, platform, external, token),
        )
    return {"ws": ws, "ig": ig, "wa": wa, "suffix": uuid.uuid4().hex[:8]}


async def _finished(admin: Any, account: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = events_for(admin, account)
        if events and all(e["status"] in FINISHED | {"quarantined", "failed"} for e in events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"not finished in time: {[e['status'] for e in events]}")
        await asyncio.sleep(0.1)


async def test_every_fixture_through_the_endpoint_and_the_worker(
    client, settings, admin, connected, sandbox, worker
) -> None:
    s = secret(settings)
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 35
    for name in names:
        platform = "instagram" if name.startswith("ig_") else "whatsapp"
        account = connected["ig"] if platform == "instagram" else connected["wa"]
        payload = personalize(fixture(name), account, connected["suffix"])
        response = await post(client, platform, payload, s)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["received"] >= 1, name
        if name not in NO_ACCOUNT:
            assert response.json()["quarantined"] == 0, name

    for account in (connected["ig"], connected["wa"]):
        events = await _finished(admin, account)
        failed = [e["dedupe_key"] for e in events if e["status"] == "failed"]
        assert not failed, failed
        assert all(e["ws"] == connected["ws"] for e in events)

    kinds = {e["kind"] for e in events_for(admin, connected["wa"])}
    assert {"wa_message", "wa_status", "unknown"} <= kinds
    texts = {
        r["text"]
        for r in admin.execute(
            "select text from messages where workspace_id = %s and direction = 'inbound'",
            (connected["ws"],),
        ).fetchall()
    }
    assert "random_text" in texts, "the dashboard's Test message reaches the inbox like a DM"
    assert "Olá, qual o horário? 🙏" in texts
    assert "Hola! ¿Tenéis envío a Canarias? 🚚" in texts
