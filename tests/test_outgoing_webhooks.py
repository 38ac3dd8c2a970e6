"""Outgoing webhooks as an integration sees them: a customer's message and the escalation it
opens reach the receiver signed (HMAC-SHA256 over the timestamp and the raw body), a 500 is
retried with backoff, every delivery is listed with the receiver's answer and can be sent again
by hand with the same event id, an endpoint that keeps failing is switched off with the reason,
and only owners and managers of the workspace see any of it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from app.errors import InvalidInput
from app.integrations import signing
from app.integrations.delivery import deliver_due
from app.integrations.service import check_url
from app.security.crypto import encrypt_secret
from tests.support.factories import add_member, create_workspace, register
from tests.support.processes import wait_for


class Receiver:
    """An integration's HTTP endpoint: records each request, answers with the next status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: dict[str, list[int]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                queue = receiver.statuses.get(self.path, [])
                status = queue.pop(0) if len(queue) > 1 else (queue[0] if queue else 200)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


async def _run(app: Any, settings: Any) -> dict[str, int]:
    """One Beat run of the delivery job, with the test's retry timings."""
    return await deliver_due(app.state.pool, http=app.state.http, settings=settings)


@pytest.fixture
async def shop(client, admin) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    import uuid

    owner = await register(client, "hooks")
    ws = (await create_workspace(client, owner, "Hooked Shop"))["id"]
    ig = str(uuid.uuid4().int)[:17]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s)",
        (ws, ig, encrypt_secret("sandbox-token")),
    )
    return {"owner": owner, "ws": ws, "ig": ig}


async def test_events_signed_retried_listed_and_redelivered(
    app, client, settings, sandbox, worker, shop, receiver, admin
) -> None:
    owner, ws = shop["owner"], shop["ws"]
    created = await client.post(
        "/api/webhook-endpoints",
        headers=owner.headers(ws),
        json={
            "url": f"{receiver.url}/crm",
            "events": ["message.received", "escalation.opened"],
            "description": "our CRM",
        },
    )
    assert created.status_code == 201, created.text
    endpoint, secret = created.json(), created.json()["secret"]
    assert secret.startswith("whsec_") and endpoint["enabled"] is True
    listed = await client.get("/api/webhook-endpoints", headers=owner.headers(ws))
    assert "secret" not in listed.json()["items"][0], "the secret is shown once"

    receiver.statuses["/crm"] = [500, 200]
    httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "account_id": shop["ig"],
            "from": "cust1",
            "text": "I want a refund, urgent",
        },
    )

    def deliveries() -> list[dict[str, Any]]:
        return list(
            admin.execute(
                "select * from webhook_deliveries where endpoint_id = %s order by created_at",
                (endpoint["id"],),
            ).fetchall()
        )

    wait_for(lambda: len(deliveries()) == 2, 30, state=deliveries)
    assert {d["event_type"] for d in deliveries()} == {"message.received", "escalation.opened"}

    # retries due at once: Beat's next run is the retry
    fast = settings.model_copy(update={"outgoing_webhook_retry_base_s": 0.0})
    # Beat runs over every workspace's deliveries; this test looks at its own
    await _run(app, fast)
    failed = [d for d in deliveries() if d["status"] == "failed"]
    assert failed and failed[0]["last_status_code"] == 500
    assert failed[0]["last_response"] == "receiver is down" and failed[0]["attempts"] == 1

    await _run(app, fast)
    assert all(d["status"] == "succeeded" for d in deliveries()), deliveries()

    got = receiver.on("/crm")
    assert len(got) == 3, "two events, one of them retried after the 500"
    for request in got:
        assert signing.verify(secret, request["body"], request["headers"]["SocialSync-Signature"])
        assert not signing.verify(
            "whsec_other", request["body"], request["headers"]["SocialSync-Signature"]
        )
    events = [json.loads(r["body"]) for r in got]
    received = next(e for e in events if e["type"] == "message.received")
    assert received["data"]["text"] == "I want a refund, urgent"
    assert received["data"]["contact"]["id"] == "cust1" and received["workspace_id"] == ws
    opened = next(e for e in events if e["type"] == "escalation.opened")
    assert "refund" in opened["data"]["reason"]
    retried = [e["id"] for e in events]
    assert len(set(retried)) == 2, "the retry carries the same event id"

    page = await client.get(
        f"/api/webhook-endpoints/{endpoint['id']}/deliveries", headers=owner.headers(ws)
    )
    assert page.status_code == 200
    shown = page.json()["items"]
    assert {d["status"] for d in shown} == {"succeeded"}
    assert sorted(d["attempts"] for d in shown) == [1, 2]

    again = await client.post(
        f"/api/webhook-endpoints/{endpoint['id']}/deliveries/{shown[0]['id']}/redeliver",
        headers=owner.headers(ws),
    )
    assert again.status_code == 202 and again.json()["status"] == "pending"
    await _run(app, fast)
    assert len(receiver.on("/crm")) == 4
    assert json.loads(receiver.on("/crm")[-1]["body"])["id"] == shown[0]["event_id"]

    ping = await client.post(
        f"/api/webhook-endpoints/{endpoint['id']}/ping", headers=owner.headers(ws)
    )
    assert ping.status_code == 202
    await _run(app, fast)
    assert receiver.on("/crm")[-1]["headers"]["SocialSync-Event"] == "ping"

    audit = admin.execute(
        "select action from audit_log where workspace_id = %s and action like 'webhook_%%'", (ws,)
    ).fetchall()
    assert {a["action"] for a in audit} >= {"webhook_endpoint.create", "webhook_delivery.redeliver"}


async def test_a_failing_endpoint_is_switched_off_with_the_reason(
    app, client, settings, shop, receiver, admin
) -> None:
    owner, ws = shop["owner"], shop["ws"]
    receiver.statuses["/down"] = [503]
    endpoint = (
        await client.post(
            "/api/webhook-endpoints",
            headers=owner.headers(ws),
            json={"url": f"{receiver.url}/down", "events": ["post.failed"]},
        )
    ).json()
    strict = settings.model_copy(
        update={"outgoing_webhook_retry_base_s": 0.0, "outgoing_webhook_disable_after": 3}
    )
    for _ in range(3):
        ping = await client.post(
            f"/api/webhook-endpoints/{endpoint['id']}/ping", headers=owner.headers(ws)
        )
        assert ping.status_code == 202
        await _run(app, strict)
    shown = (
        await client.get(f"/api/webhook-endpoints/{endpoint['id']}", headers=owner.headers(ws))
    ).json()
    assert shown["enabled"] is False and shown["consecutive_failures"] >= 3
    assert "HTTP 503" in shown["disabled_reason"]
    assert admin.execute(
        "select 1 from audit_log where workspace_id = %s and action = 'webhook_endpoint.disabled'",
        (ws,),
    ).fetchone()
    before = len(receiver.on("/down"))
    await client.post(f"/api/webhook-endpoints/{endpoint['id']}/ping", headers=owner.headers(ws))
    await _run(app, strict)
    assert len(receiver.on("/down")) == before, "a switched-off endpoint is not called"

    receiver.statuses["/down"] = [200]
    waiting = {
        str(row["event_id"])
        for row in admin.execute(
            "select event_id from webhook_deliveries where endpoint_id = %s"
            " and status in ('pending', 'failed')",
            (endpoint["id"],),
        ).fetchall()
    }
    assert len(waiting) == 4, "nothing went through while it failed or was off"
    on = await client.patch(
        f"/api/webhook-endpoints/{endpoint['id']}",
        json={"enabled": True},
        headers=owner.headers(ws),
    )
    assert on.json()["enabled"] is True and on.json()["consecutive_failures"] == 0
    assert on.json()["disabled_reason"] is None
    await _run(app, strict)
    delivered = {json.loads(r["body"])["id"] for r in receiver.on("/down")[before:]}
    assert waiting <= delivered, "what waited goes out once it is back"

    dead_settings = strict.model_copy(
        update={"outgoing_webhook_max_attempts": 1, "outgoing_webhook_disable_after": 100}
    )
    receiver.statuses["/down"] = [500]
    await client.post(f"/api/webhook-endpoints/{endpoint['id']}/ping", headers=owner.headers(ws))
    await _run(app, dead_settings)
    dead = await client.get(
        f"/api/webhook-endpoints/{endpoint['id']}/deliveries",
        params={"status": "dead"},
        headers=owner.headers(ws),
    )
    assert [d["last_status_code"] for d in dead.json()["items"]] == [500]


async def test_only_managers_of_the_workspace_and_only_public_https_receivers(
    client, settings, shop, admin
) -> None:
    owner, ws = shop["owner"], shop["ws"]
    endpoint = (
        await client.post(
            "/api/webhook-endpoints",
            headers=owner.headers(ws),
            json={"url": "https://hooks.shop.example/in", "events": ["send.failed"]},
        )
    ).json()
    agent = await register(client, "hooks-agent")
    await add_member(client, owner, ws, agent, "agent")
    for method, path in (
        ("get", "/api/webhook-endpoints"),
        ("get", f"/api/webhook-endpoints/{endpoint['id']}/deliveries"),
        ("post", f"/api/webhook-endpoints/{endpoint['id']}/ping"),
    ):
        response = await client.request(method, path, headers=agent.headers(ws))
        assert response.status_code == 403, (path, response.text)
    stranger = await register(client, "hooks-stranger")
    await create_workspace(client, stranger)
    for method, path, body in (
        ("get", f"/api/webhook-endpoints/{endpoint['id']}", None),
        ("patch", f"/api/webhook-endpoints/{endpoint['id']}", {"url": "https://evil.example/x"}),
        ("post", f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret", None),
        ("get", f"/api/webhook-endpoints/{endpoint['id']}/deliveries", None),
        ("delete", f"/api/webhook-endpoints/{endpoint['id']}", None),
    ):
        response = await client.request(method, path, json=body, headers=stranger.headers())
        assert response.status_code == 404, (path, response.text)
        assert response.json()["detail"]["error_code"] == "webhook_endpoint_not_found"
    row = admin.execute("select url from webhook_endpoints where id = %s", (endpoint["id"],))
    assert row.fetchone()["url"] == "https://hooks.shop.example/in"

    rotated = await client.post(
        f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=owner.headers(ws)
    )
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")

    production = settings.model_copy(update={"outgoing_webhook_allow_private": False})
    for url, code in (
        ("http://hooks.shop.example/in", "webhook_url_invalid"),
        ("https://user:pw@hooks.shop.example/in", "webhook_url_invalid"),
        ("https://127.0.0.1/in", "webhook_url_private"),
        ("https://10.1.2.3:8443/in", "webhook_url_private"),
        ("https://[::1]/in", "webhook_url_private"),
        ("https://localhost/in", "webhook_url_private"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await check_url(url, production)
        assert refused.value.error_code == code, url
    bad = await client.post(
        "/api/webhook-endpoints",
        headers=owner.headers(ws),
        json={"url": "https://hooks.shop.example/in", "events": ["nothing.real"]},
    )
    assert bad.status_code == 422
