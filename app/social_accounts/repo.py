from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.session import Conn

_PUBLIC_COLUMNS = """
    id, workspace_id, platform, external_id, display_name, username, page_id, waba_id,
    token_expires_at, token_status, token_refreshed_at, connected_at,
    access_token_encrypted is not null as has_token
"""


async def list_accounts(conn: Conn, *, workspace_id: UUID) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"select {_PUBLIC_COLUMNS} from public.social_accounts"  # noqa: S608 - constant columns
        " where workspace_id = %(ws)s order by platform, connected_at",
        {"ws": workspace_id},
    )
    return await cur.fetchall()


async def upsert_account(
    conn: Conn,
    *,
    workspace_id: UUID,
    platform: str,
    external_id: str,
    display_name: str | None,
    username: str | None,
    access_token_encrypted: str | None,
    token_expires_at: Any = None,
    page_id: str | None = None,
    waba_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cur = await conn.execute(
        f"""
        insert into public.social_accounts
            (workspace_id, platform, external_id, display_name, username, access_token_encrypted,
             token_expires_at, page_id, waba_id, settings)
        values (%(ws)s, %(platform)s, %(external_id)s, %(display_name)s, %(username)s, %(token)s,
                %(expires)s, %(page_id)s, %(waba_id)s, %(settings)s)
        on conflict (platform, external_id) do update set
            display_name = excluded.display_name,
            username = excluded.username,
            access_token_encrypted = excluded.access_token_encrypted,
            token_expires_at = excluded.token_expires_at,
            token_status = 'ok'
        where social_accounts.workspace_id = excluded.workspace_id
        returning {_PUBLIC_COLUMNS}
        """,  # noqa: S608 - constant columns
        {
            "ws": workspace_id,
            "platform": platform,
            "external_id": external_id,
            "display_name": display_name,
            "username": username,
            "token": access_token_encrypted,
            "expires": token_expires_at,
            "page_id": page_id,
            "waba_id": waba_id,
            "settings": Jsonb(settings or {}),
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row
