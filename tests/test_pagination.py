"""Every list pages the same way (`?limit=&cursor=` -> `{"items", "next_cursor"}`): walking the
pages while new rows arrive shows each existing row exactly once, a foreign cursor is a 400, and
the inbox's filters (unread, unassigned, mine, channel, longest waiting) pick what staff ask for."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.support.conversations import account
from tests.support.conversations import conversation as new_conversation
from tests.support.factories import add_member, create_workspace, register


def _conversation(
    admin: Any, ws: str, account_id: str, *, waited_h: float | None = None, **columns: Any
) -> str:
    return new_conversation(
        admin,
        ws,
        account_id=account_id,
        channel=columns.get("channel", "instagram_dm"),
        owner=columns.get("owner", "bot"),
        assigned=columns.get("assigned_user_id"),
        waited_min=(waited_h or 0) * 60,
    )


async def _walk(
    client: Any, path: str, headers: dict[str, str], *, between: Callable[[], Any] | None = None
) -> list[str]:
    """Every id over all pages of two; `between` runs after the first page (a new row)."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        page = response.json()
        assert set(page) == {"items", "next_cursor"} and len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if between and len(seen) <= 2:
            between()
        cursor = page["next_cursor"]
        if not cursor:
            return seen


async def test_every_list_pages_without_repeats_or_gaps_while_rows_arrive(client, admin) -> None:
    owner = await register(client, "pager")
    ws = (await create_workspace(client, owner, "Paged Shop"))["id"]
    headers = owner.headers(ws)
    accounts = [account(admin, ws) for _ in range(4)]
    conversations = [_conversation(admin, ws, accounts[0]) for _ in range(5)]
    for n, conversation in enumerate(conversations):
        admin.execute(
            "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, %s)",
            (ws, conversation, f"reason {n}"),
        )
        admin.execute(
            "insert into outbound_messages (workspace_id, conversation_id, social_account_id,"
            " idempotency_key, kind, recipient, payload, status)"
            " values (%s, %s, %s, %s, 'dm', 'x', '{}', 'sent')",
            (ws, conversation, accounts[0], uuid.uuid4().hex),
        )
        admin.execute(
            "insert into comments (workspace_id, social_account_id, platform_comment_id, text)"
            " values (%s, %s, %s, 'nice')",
            (ws, accounts[0], uuid.uuid4().hex),
        )
    for n in range(5):
        created = await client.post(
            "/api/kb/faq", headers=headers, json={"question": f"Question {n}?", "answer": "Yes."}
        )
        assert created.status_code == 201, created.text

    def arrive(table: str) -> Callable[[], Any]:
        """A new row in `table` between two pages."""

        def insert() -> None:
            if table == "conversations":
                _conversation(admin, ws, accounts[1])
            elif table == "escalations":
                admin.execute(
                    "insert into escalations (workspace_id, conversation_id, reason)"
                    " values (%s, %s, 'new')",
                    (ws, conversations[0]),
                )
            elif table == "social_accounts":
                account(admin, ws)

        return insert

    expected = {
        "/api/conversations": ("conversations", 5),
        "/api/escalations": ("escalations", 5),
        "/api/outbound": (None, 5),
        "/api/comments": (None, 5),
        "/api/kb/faq": (None, 5),
        "/api/social-accounts": ("social_accounts", 4),
    }
    for path, (table, existing) in expected.items():
        before = set(await _walk(client, path, headers))
        assert len(before) == existing, path
        walked = await _walk(client, path, headers, between=arrive(table) if table else None)
        assert len(walked) == len(set(walked)), f"{path}: a row shown twice"
        assert before <= set(walked), f"{path}: a row skipped"

    foreign = (await client.get("/api/kb/faq", params={"limit": 1}, headers=headers)).json()
    for path in ("/api/conversations", "/api/outbound", "/api/escalations?sort=longest_waiting"):
        for cursor in ("nonsense", "W10", foreign["next_cursor"] + "x"):
            bad = await client.get(path, params={"cursor": cursor}, headers=headers)
            assert bad.status_code == 400, (path, cursor, bad.text)
            assert bad.json()["detail"]["error_code"] == "invalid_cursor"


async def test_inbox_filters_unread_assignee_channel_and_longest_waiting(client, admin) -> None:
    owner = await register(client, "filters")
    ws = (await create_workspace(client, owner, "Filtered Shop"))["id"]
    agent = await register(client, "filters-agent")
    await add_member(client, owner, ws, agent, "agent")
    ig, wa = account(admin, ws), account(admin, ws, "whatsapp")
    long_wait = _conversation(admin, ws, ig, waited_h=5)
    short_wait = _conversation(admin, ws, ig, waited_h=1)
    nobodys = _conversation(admin, ws, ig, waited_h=2, owner="human")
    agents = _conversation(
        admin, ws, wa, waited_h=3, owner="human", assigned_user_id=agent.user_id, channel="whatsapp"
    )

    async def ids(user: Any = owner, **params: Any) -> list[str]:
        response = await client.get("/api/conversations", params=params, headers=user.headers(ws))
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids(sort="longest_waiting") == [long_wait, agents, nobodys, short_wait]
    paged: list[str] = []
    cursor = None
    while True:
        page = (
            await client.get(
                "/api/conversations",
                params={"sort": "longest_waiting", "limit": 3}
                | ({"cursor": cursor} if cursor else {}),
                headers=owner.headers(ws),
            )
        ).json()
        paged += [c["id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert paged == [long_wait, agents, nobodys, short_wait], "the order holds across pages"
    assert await ids(assignee="unassigned") == [nobodys]
    assert await ids(agent, assignee="mine") == [agents]
    assert await ids(channel="whatsapp") == [agents]

    assert set(await ids(unread=True)) == {long_wait, short_wait, nobodys, agents}
    read = await client.post(f"/api/conversations/{long_wait}/read", headers=agent.headers(ws))
    assert read.status_code == 204
    assert long_wait not in await ids(unread=True), "read for the whole team"
    detail = await client.get(f"/api/conversations/{long_wait}", headers=owner.headers(ws))
    assert detail.json()["unread"] is False and detail.json()["waiting_since"] is not None
    # the customer writes again: unread once more
    admin.execute(
        "update conversations set last_inbound_at = now() + interval '1 second' where id = %s",
        (long_wait,),
    )
    assert long_wait in await ids(unread=True)

    stranger = await register(client, "filters-stranger")
    await create_workspace(client, stranger)
    gone = await client.post(f"/api/conversations/{long_wait}/read", headers=stranger.headers())
    assert gone.status_code == 404
    assert gone.json()["detail"]["error_code"] == "conversation_not_found"
