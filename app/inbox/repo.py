"""SQL for the inbox. Runs in a worker session scoped to one workspace (RLS applies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.session import Conn


async def lock_event(
    conn: Conn, *, event_id: int, workspace_id: UUID | str
) -> dict[str, Any] | None:
    """Row-locks the event for the rest of the transaction: two workers never process it at once."""
    cur = await conn.execute(
        """
        select id, workspace_id, social_account_id, platform, kind, status, payload, occurred_at, received_at,
               account_external_id
          from public.webhook_events
         where id = %(id)s and workspace_id = %(ws)s
         for update
        """,
        {"id": event_id, "ws": workspace_id},
    )
    return await cur.fetchone()


async def set_event_status(
    conn: Conn,
    *,
    event_id: int,
    status: str,
    error: str | None = None,
    lease_s: float | None = None,
) -> None:
    """`lease_s`: the event stays this worker's for that long (renewed with renew_lease)."""
    await conn.execute(
        """
        update public.webhook_events
           set status = %(status)s, last_error = %(error)s, attempts = attempts + 1,
               processed_at = case when %(status)s in ('done', 'ignored', 'failed') then now() else processed_at end,
               lease_until = case when %(lease)s::float8 is null then null
                                  else now() + make_interval(secs => %(lease)s::float8) end
         where id = %(id)s
        """,
        {"id": event_id, "status": status, "error": error, "lease": lease_s},
    )


async def renew_lease(conn: Conn, *, event_id: int, lease_s: float) -> None:
    await conn.execute(
        "update public.webhook_events set lease_until = now() + make_interval(secs => %(lease)s)"
        " where id = %(id)s and status = 'processing'",
        {"id": event_id, "lease": lease_s},
    )


async def upsert_contact(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    platform: str,
    external_id: str,
    username: str | None = None,
    display_name: str | None = None,
    profile_refresh_days: int = 30,
) -> dict[str, Any]:
    """The contact's id, and `profile_due`: an Instagram contact whose profile was never read,
    or was read before `profile_after` (the worker then reads it from Meta)."""
    cur = await conn.execute(
        """
        insert into public.contacts (workspace_id, social_account_id, platform, external_id, username, display_name, last_seen_at)
        values (%(ws)s, %(acct)s, %(platform)s, %(ext)s, %(username)s, %(name)s, now())
        on conflict (social_account_id, external_id) do update set
            username = coalesce(excluded.username, contacts.username),
            display_name = coalesce(excluded.display_name, contacts.display_name),
            last_seen_at = now()
        returning id, platform = 'instagram' and (profile_fetched_at is null
                  or profile_fetched_at < now() - make_interval(days => %(refresh_days)s))
                  as profile_due
        """,
        {
            "ws": workspace_id,
            "acct": social_account_id,
            "platform": platform,
            "ext": external_id,
            "username": username,
            "name": display_name,
            "refresh_days": profile_refresh_days,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def upsert_conversation(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    contact_id: UUID | str,
    channel: str,
) -> dict[str, Any]:
    cur = await conn.execute(
        """
        insert into public.conversations (workspace_id, social_account_id, contact_id, channel)
        values (%(ws)s, %(acct)s, %(contact)s, %(channel)s)
        on conflict (social_account_id, contact_id, channel) do update set updated_at = now()
        returning id, owner, status, last_inbound_at, last_outbound_at
        """,
        {"ws": workspace_id, "acct": social_account_id, "contact": contact_id, "channel": channel},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def insert_message(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str,
    direction: str,
    sender: str,
    platform_message_id: str | None,
    text: str | None,
    attachments: list[Any],
    sent_at: datetime | None,
) -> UUID | None:
    """The message's id; a platform message stored already (a redelivery, or both the webhook
    and reconciliation saw it) keeps its row and returns that id."""
    cur = await conn.execute(
        """
        insert into public.messages
            (workspace_id, conversation_id, direction, sender, platform_message_id, text, attachments, sent_at)
        values (%(ws)s, %(conv)s, %(direction)s, %(sender)s, %(pmid)s, %(text)s, %(attachments)s, coalesce(%(sent_at)s, now()))
        on conflict (workspace_id, platform_message_id) do update set platform_message_id = excluded.platform_message_id
        returning id
        """,
        {
            "ws": workspace_id,
            "conv": conversation_id,
            "direction": direction,
            "sender": sender,
            "pmid": platform_message_id,
            "text": text,
            "attachments": Jsonb(attachments),
            "sent_at": sent_at,
        },
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def touch_conversation(
    conn: Conn,
    *,
    conversation_id: UUID | str,
    inbound_at: datetime | None = None,
    outbound_at: datetime | None = None,
    owner: str | None = None,
) -> None:
    await conn.execute(
        """
        update public.conversations set
            last_inbound_at = greatest(last_inbound_at, %(inbound)s),
            last_outbound_at = greatest(last_outbound_at, %(outbound)s),
            owner = coalesce(%(owner)s, owner),
            updated_at = now()
         where id = %(id)s
        """,
        {"id": conversation_id, "inbound": inbound_at, "outbound": outbound_at, "owner": owner},
    )


async def insert_comment(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    conversation_id: UUID | None,
    platform_comment_id: str,
    media_id: str | None,
    parent_id: str | None,
    from_id: str | None,
    from_username: str | None,
    text: str | None,
    commented_at: datetime | None,
) -> UUID | None:
    cur = await conn.execute(
        """
        insert into public.comments
            (workspace_id, social_account_id, conversation_id, platform_comment_id, platform_media_id,
             parent_comment_id, from_id, from_username, text, commented_at)
        values (%(ws)s, %(acct)s, %(conv)s, %(cid)s, %(media)s, %(parent)s, %(from_id)s, %(username)s, %(text)s,
                coalesce(%(at)s, now()))
        on conflict (social_account_id, platform_comment_id) do nothing
        returning id
        """,
        {
            "ws": workspace_id,
            "acct": social_account_id,
            "conv": conversation_id,
            "cid": platform_comment_id,
            "media": media_id,
            "parent": parent_id,
            "from_id": from_id,
            "username": from_username,
            "text": text,
            "at": commented_at,
        },
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def is_our_outbound(
    conn: Conn, *, workspace_id: UUID | str, platform_message_id: str, outbound_id: str | None
) -> bool:
    """An echo is ours when it carries our outbound id in its metadata, or matches a message we
    sent (its id is recorded once the send returns)."""
    cur = await conn.execute(
        """
        select exists (
            select 1 from public.outbound_messages
             where workspace_id = %(ws)s
               and (platform_message_id = %(pmid)s or id::text = %(oid)s)
        ) as ours
        """,
        {"ws": workspace_id, "pmid": platform_message_id, "oid": outbound_id},
    )
    row = await cur.fetchone()
    return bool(row and row["ours"])


async def platform_message_ids(conn: Conn, *, conversation_id: UUID | str | None) -> set[str]:
    """Meta's ids of the messages we already hold for a conversation (both directions)."""
    if conversation_id is None:
        return set()
    cur = await conn.execute(
        "select platform_message_id from public.messages"
        " where conversation_id = %(id)s and platform_message_id is not null",
        {"id": conversation_id},
    )
    return {row["platform_message_id"] for row in await cur.fetchall()}


async def claim_profile_fetch(
    conn: Conn, *, contact_id: UUID | str, refresh_days: int
) -> dict[str, Any] | None:
    """The contact and its account's token, when its profile is due and nobody else is reading
    it (marking it read now is the claim)."""
    cur = await conn.execute(
        """
        update public.contacts c set profile_fetched_at = now()
          from public.social_accounts a
         where c.id = %(id)s and a.id = c.social_account_id
           and (c.profile_fetched_at is null
                or c.profile_fetched_at < now() - make_interval(days => %(days)s))
        returning c.id, c.external_id, c.social_account_id, a.platform,
                  a.external_id as account_external_id, a.access_token_encrypted
        """,
        {"id": contact_id, "days": refresh_days},
    )
    return await cur.fetchone()


async def store_profile(
    conn: Conn,
    *,
    contact_id: UUID | str,
    username: str | None,
    display_name: str | None,
    avatar_url: str | None,
) -> None:
    await conn.execute(
        """
        update public.contacts
           set username = coalesce(%(username)s, username),
               display_name = coalesce(%(name)s, display_name),
               avatar_url = coalesce(%(avatar)s, avatar_url)
         where id = %(id)s
        """,
        {"id": contact_id, "username": username, "name": display_name, "avatar": avatar_url},
    )


async def release_profile_fetch(conn: Conn, *, contact_id: UUID | str) -> None:
    """Meta was unreachable: the next message tries again."""
    await conn.execute(
        "update public.contacts set profile_fetched_at = null where id = %(id)s",
        {"id": contact_id},
    )
