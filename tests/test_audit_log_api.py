"""The audit log as owners and managers read it: newest first, filtered, paged by a cursor that
neither repeats nor skips entries while new ones arrive; agents and other workspaces see none."""

from __future__ import annotations

from tests.support.factories import add_member, create_workspace, register


async def test_pages_filters_and_who_may_read(client) -> None:
    owner = await register(client, "auditor")
    ws = (await create_workspace(client, owner, "Audited"))["id"]
    for n in range(5):
        renamed = await client.patch(
            f"/api/workspaces/{ws}", json={"name": f"Audited {n}"}, headers=owner.headers()
        )
        assert renamed.status_code == 200
    first = await client.get("/api/audit-log", params={"limit": 2}, headers=owner.headers(ws))
    assert first.status_code == 200
    page = first.json()
    assert [e["action"] for e in page["items"]] == ["workspace.updated"] * 2
    assert page["items"][0]["details"] == {"name": "Audited 4"}, "newest first"
    # an entry written between two pages does not shift the next one
    await client.patch(f"/api/workspaces/{ws}", json={"name": "Later"}, headers=owner.headers())
    seen = [e["id"] for e in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        more = await client.get(
            "/api/audit-log", params={"limit": 2, "cursor": cursor}, headers=owner.headers(ws)
        )
        seen += [e["id"] for e in more.json()["items"]]
        cursor = more.json()["next_cursor"]
    assert len(seen) == len(set(seen)) == 6, "5 renames and the creation, each once"
    created = await client.get(
        "/api/audit-log", params={"action": "workspace.created"}, headers=owner.headers(ws)
    )
    assert [e["action"] for e in created.json()["items"]] == ["workspace.created"]
    bad = await client.get(
        "/api/audit-log", params={"cursor": "nonsense"}, headers=owner.headers(ws)
    )
    assert bad.status_code == 400 and bad.json()["detail"]["error_code"] == "invalid_cursor"

    agent = await register(client, "agent")
    await add_member(client, owner, ws, agent, "agent")
    assert (await client.get("/api/audit-log", headers=agent.headers(ws))).status_code == 403
    stranger = await register(client, "stranger")
    await create_workspace(client, stranger)
    assert (await client.get("/api/audit-log", headers=stranger.headers(ws))).status_code == 404
    theirs = await client.get("/api/audit-log", headers=stranger.headers())
    assert all(e["action"] != "workspace.updated" for e in theirs.json()["items"])
