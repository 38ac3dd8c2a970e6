"""The seed's paths answer exactly as ours, for the same workspace and only for it."""

from __future__ import annotations

from tests.support.factories import create_workspace, register


async def test_seed_paths_are_our_endpoints(client, admin) -> None:
    owner = await register(client, "seed")
    ws = (await create_workspace(client, owner))["id"]
    ours = await client.get("/api/agent/settings", headers=owner.headers(ws))
    alias = await client.get("/api/ai-settings", headers=owner.headers(ws))
    assert alias.status_code == 200 and alias.json() == ours.json()
    changed = await client.patch(
        "/api/ai-settings", json={"tone": "warm"}, headers=owner.headers(ws)
    )
    assert changed.status_code == 200
    assert (await client.get("/api/agent/settings", headers=owner.headers(ws))).json()[
        "tone"
    ] == "warm"
    account = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s)"
        " returning id",
        (ws, f"seed-{ws}"),
    ).fetchone()["id"]
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id)"
        " values (%s, %s, 'instagram', 'c1') returning id",
        (ws, account),
    ).fetchone()["id"]
    conversation = admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel)"
        " values (%s, %s, %s, 'instagram_dm') returning id",
        (ws, account, contact),
    ).fetchone()["id"]
    listed = await client.get("/api/instagram/conversations", headers=owner.headers(ws))
    assert (
        listed.json() == (await client.get("/api/conversations", headers=owner.headers(ws))).json()
    )
    assert [c["id"] for c in listed.json()["items"]] == [str(conversation)]
    detail = await client.get(f"/api/instagram/messages/{conversation}", headers=owner.headers(ws))
    assert detail.status_code == 200 and detail.json()["id"] == str(conversation)
    stranger = await register(client, "seed-stranger")
    await create_workspace(client, stranger)
    hidden = await client.get(f"/api/instagram/messages/{conversation}", headers=stranger.headers())
    assert hidden.status_code == 404
