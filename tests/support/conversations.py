"""A conversation arranged by the superuser for a test: its own account and customer, held by
the bot or a person, with the customer's last message some minutes ago."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def account(admin: Any, ws: str, platform: str = "instagram") -> str:
    return str(
        admin.execute(
            "insert into social_accounts (workspace_id, platform, external_id) values (%s, %s, %s)"
            " returning id",
            (ws, platform, uuid.uuid4().hex[:15]),
        ).fetchone()["id"]
    )


def conversation(
    admin: Any,
    ws: str,
    *,
    account_id: str | None = None,
    channel: str = "instagram_dm",
    owner: str = "bot",
    assigned: str | None = None,
    waited_min: float | None = None,
    username: str | None = None,
    name: str | None = None,
) -> str:
    platform = "whatsapp" if channel == "whatsapp" else "instagram"
    account_id = account_id or account(admin, ws, platform)
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id, username,"
        " display_name) values (%s, %s, %s, %s, %s, %s) returning id",
        (ws, account_id, platform, uuid.uuid4().hex, username, name),
    ).fetchone()["id"]
    last_inbound = (
        datetime.now(UTC) - timedelta(minutes=waited_min) if waited_min is not None else None
    )
    return str(
        admin.execute(
            "insert into conversations (workspace_id, social_account_id, contact_id, channel,"
            " owner, assigned_user_id, last_inbound_at) values (%s, %s, %s, %s, %s, %s, %s)"
            " returning id",
            (ws, account_id, contact, channel, owner, assigned, last_inbound),
        ).fetchone()["id"]
    )
