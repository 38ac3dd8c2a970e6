"""Workspaces: renamed and given a time zone by their owners (an IANA name, validated), which
the bot's business hours then follow; nobody else may."""

from __future__ import annotations

from app.agent.ai_settings import load_ai_settings
from app.db.session import Claims, tenant_session
from tests.support.factories import add_member, register


async def test_owner_sets_the_time_zone_at_creation_and_later(client, app, admin) -> None:
    owner = await register(client, "tz-owner")
    created = await client.post(
        "/api/workspaces",
        headers=owner.headers(),
        json={"name": "Bakery", "timezone": "Europe/Madrid"},
    )
    assert created.status_code == 201, created.text
    ws = created.json()["id"]
    assert created.json()["timezone"] == "Europe/Madrid", "no longer dropped on create"
    changed = await client.patch(
        f"/api/workspaces/{ws}",
        headers=owner.headers(),
        json={"name": "Bakery & Café", "timezone": "America/New_York"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Bakery & Café"
    assert changed.json()["timezone"] == "America/New_York"
    shown = (await client.get(f"/api/workspaces/{ws}", headers=owner.headers())).json()
    assert (shown["name"], shown["timezone"]) == ("Bakery & Café", "America/New_York")
    async with tenant_session(app.state.pool, Claims.for_worker(ws)) as conn:
        ai = await load_ai_settings(conn, ws)
    assert ai.timezone == "America/New_York", "business hours follow the workspace's zone"
    only_name = await client.patch(
        f"/api/workspaces/{ws}", headers=owner.headers(), json={"name": "Bakery"}
    )
    assert only_name.json()["timezone"] == "America/New_York", "what is left out is kept"
    audit = admin.execute(
        "select details from audit_log where workspace_id = %s and action = 'workspace.updated'",
        (ws,),
    ).fetchall()
    assert len(audit) == 2


async def test_bad_zones_and_empty_changes_are_refused(client) -> None:
    owner = await register(client, "tz-bad")
    ws = (
        await client.post("/api/workspaces", headers=owner.headers(), json={"name": "Shop"})
    ).json()["id"]
    for body in (
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"timezone": None},
        {"name": None},
        {},
        {"name": "x", "color": "red"},
    ):
        response = await client.patch(f"/api/workspaces/{ws}", headers=owner.headers(), json=body)
        assert response.status_code == 422, (body, response.text)
    bad_create = await client.post(
        "/api/workspaces", headers=owner.headers(), json={"name": "Shop", "timezone": "CEST"}
    )
    assert bad_create.status_code == 422
    shown = (await client.get(f"/api/workspaces/{ws}", headers=owner.headers())).json()
    assert (shown["name"], shown["timezone"]) == ("Shop", "UTC")


async def test_only_owners_change_a_workspace(client) -> None:
    owner = await register(client, "tz-own")
    ws = (
        await client.post("/api/workspaces", headers=owner.headers(), json={"name": "Mine"})
    ).json()["id"]
    manager = await register(client, "tz-manager")
    await add_member(client, owner, ws, manager, "manager")
    refused = await client.patch(
        f"/api/workspaces/{ws}", headers=manager.headers(), json={"name": "Taken over"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"]["error_code"] == "insufficient_role"
    stranger = await register(client, "tz-stranger")
    hidden = await client.patch(
        f"/api/workspaces/{ws}", headers=stranger.headers(), json={"name": "Taken over"}
    )
    assert hidden.status_code in (403, 404)
    shown = (await client.get(f"/api/workspaces/{ws}", headers=owner.headers())).json()
    assert shown["name"] == "Mine"
