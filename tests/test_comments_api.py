"""Staff working the comments through the API, with a real worker and the sandbox: what the bot
did with each (and why), answering publicly or privately, hiding and unhiding (undoing the bot's
hide), deleting; agents may not delete; other workspaces see nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.security.crypto import encrypt_secret
from tests.support.factories import add_member, create_workspace, register
from tests.support.processes import until

SHIPPING = ("Do you ship abroad?", "Yes, we ship to all EU countries within 5 days.")


def _comment(sandbox: Any, ig: str, sender: str, text: str) -> dict[str, Any]:
    response = httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={
            "platform": "instagram",
            "kind": "comment",
            "account_id": ig,
            "from": sender,
            "text": text,
        },
    )
    assert response.status_code == 200
    return response.json()


def _sent(sandbox: Any, ig: str, endpoint: str) -> list[dict[str, Any]]:
    return [o for o in sandbox.state.outbox if o["account"] == ig and o["endpoint"] == endpoint]


async def test_staff_see_answer_hide_and_delete_comments(client, sandbox, worker, admin) -> None:
    owner = await register(client, "comments")
    ws = (await create_workspace(client, owner))["id"]
    agent = await register(client, "comments-agent")
    await add_member(client, owner, ws, agent, "agent")
    await client.post(
        "/api/kb/faq",
        headers=owner.headers(ws),
        json={"question": SHIPPING[0], "answer": SHIPPING[1]},
    )
    ig = str(uuid.uuid4().int)[:17]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s)",
        (ws, ig, encrypt_secret("sandbox-token")),
    )
    answered = _comment(sandbox, ig, "fan1", "do you ship abroad?")
    rude = _comment(sandbox, ig, "troll", "you are all stupid idiots")
    human = _comment(sandbox, ig, "buyer", "I want a refund for my order")

    async def listed(**params: str) -> list[dict[str, Any]]:
        response = await client.get("/api/comments", params=params, headers=agent.headers(ws))
        assert response.status_code == 200
        return list(response.json()["items"])

    async def settled() -> list[dict[str, Any]] | None:
        """Each comment decided, and what the bot sent recorded on it."""
        rows = await listed()
        statuses = {r["status"] for r in rows}
        decided = all(r["bot_decision"] for r in rows) and len(rows) == 3
        return rows if decided and {"answered", "hidden"} <= statuses else None

    rows = {r["platform_comment_id"]: r for r in await until(settled)}
    assert rows[answered["platform_id"]]["status"] == "answered"
    assert rows[answered["platform_id"]]["bot_decision"] == "respond"
    assert rows[rude["platform_id"]]["status"] == "hidden"
    assert (
        rows[rude["platform_id"]]["bot_decision"] == "hide"
        and rows[rude["platform_id"]]["bot_reasons"]
    )
    assert rows[human["platform_id"]]["bot_decision"] == "escalate"
    escalated = await listed(status="escalated")
    assert [r["platform_comment_id"] for r in escalated] == [human["platform_id"]]

    # staff answer the escalated one, publicly
    target = rows[human["platform_id"]]["id"]
    queued = await client.post(
        f"/api/comments/{target}/reply",
        json={"text": "Sorry! We have sent you a DM."},
        headers=agent.headers(ws),
    )
    assert queued.status_code == 202

    async def answered_by_staff() -> bool:
        sent = [
            o for o in _sent(sandbox, ig, "comment_reply") if o["recipient"] == human["platform_id"]
        ]
        [row] = [r for r in await listed() if r["id"] == target]
        return bool(sent) and row["status"] == "answered"

    await until(answered_by_staff)

    # the bot's hide undone, then hidden again by staff
    rude_id = rows[rude["platform_id"]]["id"]
    shown = await client.post(
        f"/api/comments/{rude_id}/hide", json={"hidden": False}, headers=agent.headers(ws)
    )
    assert shown.status_code == 200 and shown.json()["status"] != "hidden"
    assert sandbox.state.comments[rude["platform_id"]]["hidden"] is False
    again = await client.post(
        f"/api/comments/{rude_id}/hide", json={"hidden": True}, headers=agent.headers(ws)
    )
    assert (
        again.json()["status"] == "hidden" and sandbox.state.comments[rude["platform_id"]]["hidden"]
    )

    denied = await client.delete(f"/api/comments/{rude_id}", headers=agent.headers(ws))
    assert denied.status_code == 403
    stranger = await register(client, "comments-stranger")
    await create_workspace(client, stranger)
    assert (await client.get("/api/comments", headers=stranger.headers())).json()["items"] == []
    for method, path, body in (
        ("POST", f"/api/comments/{rude_id}/hide", {"hidden": False}),
        ("POST", f"/api/comments/{rude_id}/reply", {"text": "hi"}),
        ("DELETE", f"/api/comments/{rude_id}", None),
    ):
        response = await client.request(method, path, json=body, headers=stranger.headers())
        assert response.status_code == 404, path
    deleted = await client.delete(f"/api/comments/{rude_id}", headers=owner.headers(ws))
    assert deleted.status_code == 204
    assert rude["platform_id"] not in sandbox.state.comments
    assert rude_id not in [r["id"] for r in await listed()]
    pending = await client.get("/api/comments/pending", headers=agent.headers(ws))
    assert pending.status_code == 200
