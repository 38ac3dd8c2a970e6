"""Token health follows Meta's error codes: a stray refusal or an outage never flags a working
account, a second refusal or a definite one does, the flagged account is still polled and a
later success lifts the flag; staff see what to do. A token that ends before a queued post is
flagged before the post fails."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from psycopg.types.json import Jsonb

from app.security.crypto import encrypt_secret
from tests.support.factories import create_workspace, register


def _connect_instagram(admin: Any, ws: str, *, expires_in: timedelta | None = None) -> str:
    ig = str(uuid.uuid4().int)[:17]
    now = datetime.now(UTC)
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, username,"
        " access_token_encrypted, token_expires_at, connected_at)"
        " values (%s, 'instagram', %s, 'shop', %s, %s, %s)",
        (
            ws,
            ig,
            encrypt_secret(f"token-{ig}"),
            now + expires_in if expires_in else None,
            now - timedelta(days=50),
        ),
    )
    return ig


def _refuse(sandbox: Any, ig: str, *, kind: str = "token_expired", subcode: int = 0) -> None:
    """The next read of this account's conversations is refused by Meta."""
    response = httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={
            "endpoint": "list_conversations",
            "kind": kind,
            "subcode": subcode,
            "match": ig,
            "count": 1,
        },
    )
    assert response.status_code == 201


async def _radar(app: Any) -> Any:
    from app.reconcile import service as reconcile_service

    async with httpx.AsyncClient() as http:
        return await reconcile_service.run_radar(
            app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
        )


async def _listed(client: Any, owner: Any, ws: str, ig: str) -> dict[str, Any]:
    response = await client.get("/api/social-accounts", headers=owner.headers(ws))
    assert response.status_code == 200
    [account] = [a for a in response.json()["items"] if a["external_id"] == ig]
    return account


async def test_a_stray_refusal_does_not_flag_a_second_does_and_a_success_lifts_it(
    app, client, admin, sandbox
) -> None:
    owner = await register(client, "health")
    ws = (await create_workspace(client, owner))["id"]
    ig = _connect_instagram(admin, ws)

    _refuse(sandbox, ig)  # a bare 190, as Meta sometimes answers mid-incident
    await _radar(app)
    account = await _listed(client, owner, ws, ig)
    assert account["token_status"] == "ok" and account["health"]["problem"] is None
    assert sandbox.state.faults[-1].remaining == 0, "the refusal reached this account"

    await _radar(app)  # a success in between: the refusal is forgotten
    _refuse(sandbox, ig)
    await _radar(app)
    assert (await _listed(client, owner, ws, ig))["token_status"] == "ok"

    _refuse(sandbox, ig)  # the second in a row
    await _radar(app)
    account = await _listed(client, owner, ws, ig)
    assert account["token_status"] == "needs_reconnect"
    health = account["health"]
    assert health["problem"] == "reconnect" and "Reconnect" in health["advice"]
    assert health["reconnect_path"] == "/api/social-accounts/instagram/connect"
    assert "190" in health["last_error"]

    # still polled as far as its token allows: this read works, and lifts the flag
    await _radar(app)
    account = await _listed(client, owner, ws, ig)
    assert account["token_status"] == "ok" and account["health"]["problem"] is None


async def test_a_definite_refusal_flags_at_once_and_an_outage_never_does(
    app, client, admin, sandbox
) -> None:
    owner = await register(client, "health")
    ws = (await create_workspace(client, owner))["id"]
    changed, flaky = _connect_instagram(admin, ws), _connect_instagram(admin, ws)

    _refuse(sandbox, changed, subcode=460)  # the password was changed
    for _ in range(3):
        _refuse(sandbox, flaky, kind="server_error")
        _refuse(sandbox, flaky, kind="throttle")
    await _radar(app)
    assert (await _listed(client, owner, ws, changed))["token_status"] == "needs_reconnect"
    await _radar(app)
    await _radar(app)
    account = await _listed(client, owner, ws, flaky)
    assert account["token_status"] == "ok" and account["health"]["problem"] is None
    failures = admin.execute(
        "select token_failures from social_accounts where external_id = %s", (flaky,)
    ).fetchone()
    assert failures["token_failures"] == 0, "an outage says nothing about the token"


async def test_a_token_ending_before_a_queued_post_is_flagged(app, client, admin, sandbox) -> None:
    from app.social_accounts.token_refresh import refresh_expiring_tokens

    owner = await register(client, "health")
    ws = (await create_workspace(client, owner))["id"]
    ig = _connect_instagram(admin, ws, expires_in=timedelta(days=3))
    account_id = admin.execute(
        "select id from social_accounts where external_id = %s", (ig,)
    ).fetchone()["id"]
    admin.execute(
        "insert into scheduled_posts (workspace_id, social_account_id, media_type, media_urls,"
        " caption, publish_at) values (%s, %s, 'IMAGE', %s, 'launch', now() + interval '5 days')",
        (ws, account_id, Jsonb(["https://example.com/a.jpg"])),
    )

    async def refresh() -> Any:
        async with httpx.AsyncClient() as http:
            return await refresh_expiring_tokens(
                app.state.pool, settings=app.state.settings, http=http, redis=app.state.redis
            )

    # Meta is down: the token cannot be renewed, and the post comes after it ends
    faults = f"{sandbox.url}/_sandbox/faults"
    httpx.post(
        faults,
        json={"endpoint": "refresh_token", "kind": "server_error", "match": ig, "count": 20},
    )
    result = await refresh()
    health = (await _listed(client, owner, ws, ig))["health"]
    assert result.ending_before_posts >= 1
    assert health["problem"] == "expires_before_post" and "scheduled post" in health["advice"]

    for fault in sandbox.state.faults:
        if fault.match == ig:
            fault.remaining = 0
    await refresh()  # renewed: 60 more days, past the post
    account = await _listed(client, owner, ws, ig)
    assert account["health"]["problem"] is None and account["token_status"] == "ok"
