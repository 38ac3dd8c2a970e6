"""Users and workspaces made through the public API, as a client would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class User:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str

    def headers(self, workspace_id: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        if workspace_id:
            headers["X-Workspace-Id"] = workspace_id
        return headers


async def register(client: httpx.AsyncClient, prefix: str = "user") -> User:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery"
    response = await client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    return User(email, password, body["user"]["id"], body["access_token"], body["refresh_token"])


async def create_workspace(
    client: httpx.AsyncClient, user: User, name: str = "Shop"
) -> dict[str, Any]:
    response = await client.post("/api/workspaces", json={"name": name}, headers=user.headers())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_member(
    client: httpx.AsyncClient, owner: User, workspace_id: str, member: User, role: str
) -> None:
    response = await client.post(
        f"/api/workspaces/{workspace_id}/members",
        json={"email": member.email, "role": role},
        headers=owner.headers(),
    )
    assert response.status_code == 201, response.text


async def instagram_shop(
    client: httpx.AsyncClient, admin: Any, faq: tuple[str, str], prefix: str = "shop"
) -> tuple[User, str, str]:
    """A workspace with one FAQ entry and a connected Instagram account (with a token the
    sandbox accepts): (owner, workspace id, Instagram account id)."""
    from app.security.crypto import encrypt_secret

    owner = await register(client, prefix)
    ws = (await create_workspace(client, owner))["id"]
    response = await client.post(
        "/api/kb/faq", headers=owner.headers(ws), json={"question": faq[0], "answer": faq[1]}
    )
    assert response.status_code == 201, response.text
    ig = str(uuid.uuid4().int)[:17]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted)"
        " values (%s, 'instagram', %s, %s)",
        (ws, ig, encrypt_secret("sandbox-token")),
    )
    return owner, ws, ig
