"""Bad input gets a 4xx with the error shape, never a 500, and writes nothing."""

from __future__ import annotations

import uuid

from tests.support.factories import create_workspace, register


def _code(response) -> str:  # type: ignore[no-untyped-def]
    detail = response.json()["detail"]
    assert {"error_code", "message", "timestamp"} <= set(detail)
    return detail["error_code"]  # type: ignore[no-any-return]


async def test_malformed_json(client, admin) -> None:
    before = admin.execute("select count(*) as n from app_private.local_users").fetchone()["n"]
    response = await client.post(
        "/api/auth/register",
        content=b'{"email": "a@b.com", "password": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and _code(response) == "malformed_json"
    assert (
        admin.execute("select count(*) as n from app_private.local_users").fetchone()["n"] == before
    )


async def test_wrong_types_and_missing_fields(client) -> None:
    for body in (
        {"email": 42, "password": "long enough"},
        {"email": "x@example.com"},
        {"email": "not-an-email", "password": "long enough"},
        {"email": "x@example.com", "password": "short"},
    ):
        response = await client.post("/api/auth/register", json=body)
        assert response.status_code == 422 and _code(response) == "validation_error", body
        assert response.json()["detail"]["errors"]


async def test_oversized_body_is_refused_before_anything_is_written(client, admin) -> None:
    user = await register(client)
    before = admin.execute("select count(*) as n from workspaces").fetchone()["n"]
    huge = {"name": "x" * (2 * 1024 * 1024)}
    response = await client.post("/api/workspaces", json=huge, headers=user.headers())
    assert response.status_code == 413 and _code(response) == "payload_too_large"
    assert admin.execute("select count(*) as n from workspaces").fetchone()["n"] == before


async def test_oversized_body_without_content_length(client, admin) -> None:
    user = await register(client)

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = await client.post(
        "/api/workspaces",
        content=chunks(),
        headers={**user.headers(), "content-type": "application/json"},
    )
    assert response.status_code == 413 and _code(response) == "payload_too_large"


async def test_unknown_ids_and_routes(client) -> None:
    user = await register(client)
    await create_workspace(client, user)
    missing = await client.get(f"/api/workspaces/{uuid.uuid4()}", headers=user.headers())
    assert missing.status_code == 404 and _code(missing) == "workspace_not_found"
    not_uuid = await client.get("/api/workspaces/not-a-uuid", headers=user.headers())
    # ids in paths are UUIDs: another shape names no resource at all
    assert not_uuid.status_code == 404 and _code(not_uuid) == "not_found"
    bad_header = await client.get("/api/social-accounts", headers=user.headers("nope"))
    assert bad_header.status_code == 400 and _code(bad_header) == "invalid_workspace_id"
    no_route = await client.get("/api/nothing-here")
    assert no_route.status_code == 404 and _code(no_route) == "not_found"
    wrong_method = await client.put("/api/auth/login", json={})
    assert wrong_method.status_code == 405 and _code(wrong_method) == "method_not_allowed"


async def test_empty_and_overlong_workspace_names(client, admin) -> None:
    user = await register(client)
    for name in ("", "x" * 201):
        response = await client.post("/api/workspaces", json={"name": name}, headers=user.headers())
        assert response.status_code == 422 and _code(response) == "validation_error"
    assert (
        admin.execute(
            "select count(*) as n from workspace_members where user_id = %s", (user.user_id,)
        ).fetchone()["n"]
        == 0
    )
