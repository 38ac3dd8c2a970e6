from __future__ import annotations

import uuid

import psycopg
from psycopg.rows import dict_row

from tests.support.factories import add_member, create_workspace, register


async def test_create_list_get_workspace(client) -> None:
    owner = await register(client)
    created = await create_workspace(client, owner, "Corner Bakery")
    assert created["role"] == "owner" and created["name"] == "Corner Bakery"
    listed = (await client.get("/api/workspaces", headers=owner.headers())).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    detail = (await client.get(f"/api/workspaces/{created['id']}", headers=owner.headers())).json()
    assert [m["email"] for m in detail["members"]] == [owner.email]


async def test_another_tenant_cannot_see_or_change_a_workspace(client, admin) -> None:
    alice, mallory = await register(client, "alice"), await register(client, "mallory")
    ws = (await create_workspace(client, alice))["id"]
    await create_workspace(client, mallory)
    for response in (
        await client.get(f"/api/workspaces/{ws}", headers=mallory.headers()),
        await client.get("/api/social-accounts", headers=mallory.headers(ws)),
        await client.post(
            f"/api/workspaces/{ws}/members",
            json={"email": mallory.email, "role": "owner"},
            headers=mallory.headers(),
        ),
        await client.delete(
            f"/api/workspaces/{ws}/members/{alice.user_id}", headers=mallory.headers()
        ),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["detail"]["error_code"] == "workspace_not_found"
    members = admin.execute(
        "select user_id::text as u from workspace_members where workspace_id = %s", (ws,)
    ).fetchall()
    assert [m["u"] for m in members] == [alice.user_id]


async def test_workspace_header_selects_and_defaults_to_first(client, servers) -> None:
    owner = await register(client)
    first = (await create_workspace(client, owner, "First"))["id"]
    second = (await create_workspace(client, owner, "Second"))["id"]
    async with await psycopg.AsyncConnection.connect(
        servers.admin_url, autocommit=True, row_factory=dict_row
    ) as conn:
        for ws, external in ((first, "ig-first"), (second, "ig-second")):
            await conn.execute(
                "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
                " values (%s, 'instagram', %s, 'ciphertext')",
                (ws, f"{external}-{uuid.uuid4().hex[:6]}"),
            )
    default = (await client.get("/api/social-accounts", headers=owner.headers())).json()["items"]
    chosen = (await client.get("/api/social-accounts", headers=owner.headers(second))).json()[
        "items"
    ]
    assert default[0]["external_id"].startswith("ig-first")
    assert chosen[0]["external_id"].startswith("ig-second")
    assert "access_token" not in chosen[0] and "access_token_encrypted" not in chosen[0]
    assert chosen[0]["has_token"] is True


async def test_without_workspace_is_a_clear_404(client) -> None:
    loner = await register(client)
    response = await client.get("/api/social-accounts", headers=loner.headers())
    assert response.status_code == 404 and response.json()["detail"]["error_code"] == "no_workspace"


async def test_member_management_and_roles(client) -> None:
    owner, manager, agent = await register(client), await register(client), await register(client)
    ws = (await create_workspace(client, owner))["id"]
    await add_member(client, owner, ws, manager, "manager")
    await add_member(client, owner, ws, agent, "agent")

    # only owners manage members
    denied = await client.post(
        f"/api/workspaces/{ws}/members",
        json={"email": agent.email, "role": "owner"},
        headers=manager.headers(),
    )
    assert (
        denied.status_code == 403 and denied.json()["detail"]["error_code"] == "insufficient_role"
    )
    duplicate = await client.post(
        f"/api/workspaces/{ws}/members", json={"email": agent.email}, headers=owner.headers()
    )
    assert (
        duplicate.status_code == 409
        and duplicate.json()["detail"]["error_code"] == "already_member"
    )
    unknown = await client.post(
        f"/api/workspaces/{ws}/members",
        json={"email": "ghost@example.com"},
        headers=owner.headers(),
    )
    assert unknown.status_code == 202 and unknown.json()["status"] == "pending", "invited"

    promoted = await client.patch(
        f"/api/workspaces/{ws}/members/{agent.user_id}",
        json={"role": "manager"},
        headers=owner.headers(),
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "manager"

    last_owner = await client.patch(
        f"/api/workspaces/{ws}/members/{owner.user_id}",
        json={"role": "agent"},
        headers=owner.headers(),
    )
    assert (
        last_owner.status_code == 409 and last_owner.json()["detail"]["error_code"] == "last_owner"
    )

    removed = await client.delete(
        f"/api/workspaces/{ws}/members/{agent.user_id}", headers=owner.headers()
    )
    assert removed.status_code == 204
    gone = await client.get(f"/api/workspaces/{ws}", headers=agent.headers())
    assert gone.status_code == 404
    detail = (await client.get(f"/api/workspaces/{ws}", headers=owner.headers())).json()
    assert {m["user_id"] for m in detail["members"]} == {owner.user_id, manager.user_id}


async def test_audit_log_records_membership_changes(client, admin) -> None:
    owner, agent = await register(client), await register(client)
    ws = (await create_workspace(client, owner))["id"]
    await add_member(client, owner, ws, agent, "agent")
    actions = [
        r["action"]
        for r in admin.execute(
            "select action from audit_log where workspace_id = %s order by id", (ws,)
        )
    ]
    assert actions == ["workspace.created", "member.added"]


async def test_a_member_removed_elsewhere_sees_nothing_while_remembered(client, admin) -> None:
    """The API remembers memberships for a few seconds; the database does not. A member removed
    by another process (here: straight in SQL) reads nothing and writes nothing of the
    workspace, although this process still remembers them as a member."""
    owner = await register(client, "remembering-owner")
    ws = (await create_workspace(client, owner))["id"]
    member = await register(client, "remembered")
    await add_member(client, owner, ws, member, "manager")
    created = await client.post(
        "/api/canned-replies",
        headers=member.headers(ws),
        json={"title": "Hours", "text": "We open at nine."},
    )
    assert created.status_code == 201, created.text
    listed = await client.get("/api/canned-replies", headers=member.headers(ws))
    assert [r["title"] for r in listed.json()["items"]] == ["Hours"]

    admin.execute(
        "delete from workspace_members where workspace_id = %s and user_id = %s",
        (ws, member.user_id),
    )
    listed = await client.get("/api/canned-replies", headers=member.headers(ws))
    assert listed.status_code in (200, 404)
    assert listed.status_code == 404 or listed.json()["items"] == []
    written = await client.post(
        "/api/canned-replies",
        headers=member.headers(ws),
        json={"title": "Sneaky", "text": "Not a member any more."},
    )
    assert written.status_code in (403, 404), written.text
    rows = admin.execute(
        "select title from canned_replies where workspace_id = %s order by title", (ws,)
    ).fetchall()
    assert [r["title"] for r in rows] == ["Hours"]
