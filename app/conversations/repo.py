"""SQL for contacts, conversations and messages: the one place that writes them. Runs in the
caller's tenant session (a worker's or a staff member's; RLS applies)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.session import Conn
from app.db.trips import Query, one_row, statement

# the customer's last message is not answered yet: since when they wait
WAITING_SINCE = """(case when c.last_inbound_at is not null
              and (c.last_outbound_at is null or c.last_outbound_at < c.last_inbound_at)
        then c.last_inbound_at end)"""


_CONVERSATION = f"""
select c.id, c.channel, c.owner, c.assigned_user_id, c.status, c.last_inbound_at, c.last_outbound_at,
       c.updated_at, c.social_account_id, a.platform, ct.external_id as contact_external_id,
       ct.username as contact_username, ct.display_name as contact_name,
       ct.avatar_url as contact_picture_url, {WAITING_SINCE} as waiting_since,
       (c.last_inbound_at is not null
        and (c.staff_read_at is null or c.staff_read_at < c.last_inbound_at)) as unread,
       (select count(*) from public.escalations e
         where e.conversation_id = c.id and e.status <> 'resolved') as open_escalations
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  join public.social_accounts a on a.id = c.social_account_id
"""  # noqa: S608 - constant fragments


async def list_conversations(
    conn: Conn,
    *,
    workspace_id: UUID,
    limit: int,
    after: Sequence[Any] | None = None,
    owner: str | None = None,
    channel: str | None = None,
    assigned_to: UUID | None = None,
    unassigned: bool = False,
    unread: bool = False,
    longest_waiting: bool = False,
) -> list[dict[str, Any]]:
    """Newest activity first, or the longest-waiting customers first (then everyone else by
    activity). `after` is the previous page's last sort key (see `conversation_sort_key`)."""
    if longest_waiting:
        # (not waiting, since when, id): waiting ones first, the oldest wait first
        key = f"({WAITING_SINCE} is null, coalesce({WAITING_SINCE}, c.updated_at), c.id)"
        compare, cursor_key = ">", "(%(k0)s::boolean, %(k1)s::timestamptz, %(k2)s::uuid)"
        order = f"{WAITING_SINCE} is null, coalesce({WAITING_SINCE}, c.updated_at), c.id"
    else:
        key, compare = "(c.updated_at, c.id)", "<"
        cursor_key = "(%(k0)s::timestamptz, %(k1)s::uuid)"
        order = "c.updated_at desc, c.id desc"
    where = f"""
         where c.workspace_id = %(ws)s
           and (%(owner)s::text is null or c.owner = %(owner)s)
           and (%(channel)s::text is null or c.channel = %(channel)s)
           and (%(assigned)s::uuid is null or c.assigned_user_id = %(assigned)s)
           and (not %(unassigned)s or (c.owner = 'human' and c.assigned_user_id is null))
           and (not %(unread)s or (c.last_inbound_at is not null
                and (c.staff_read_at is null or c.staff_read_at < c.last_inbound_at)))
           and (not %(paged)s or {key} {compare} {cursor_key})
    """
    keys = {f"k{i}": v for i, v in enumerate(after or ())}
    cur = await conn.execute(
        _CONVERSATION + where + f" order by {order} limit %(limit)s",
        {
            "ws": workspace_id,
            "owner": owner,
            "channel": channel,
            "assigned": assigned_to,
            "unassigned": unassigned,
            "unread": unread,
            "paged": after is not None,
            "limit": limit,
            "k0": None,
            "k1": None,
            "k2": None,
            **keys,
        },
    )
    return await cur.fetchall()


def conversation_sort_key(row: dict[str, Any], *, longest_waiting: bool) -> tuple[Any, ...]:
    if longest_waiting:
        waiting = row["waiting_since"]
        return (waiting is None, waiting or row["updated_at"], row["id"])
    return (row["updated_at"], row["id"])


async def mark_read(conn: Conn, *, workspace_id: UUID, conversation_id: UUID) -> bool:
    cur = await conn.execute(
        "update public.conversations set staff_read_at = now()"
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": conversation_id},
    )
    return cur.rowcount > 0


async def get_conversation(
    conn: Conn, *, workspace_id: UUID, conversation_id: UUID, lock: bool = False
) -> dict[str, Any] | None:
    cur = await conn.execute(
        _CONVERSATION
        + " where c.workspace_id = %(ws)s and c.id = %(id)s"
        + (" for update of c" if lock else ""),
        {"ws": workspace_id, "id": conversation_id},
    )
    return await cur.fetchone()


async def messages_of(conn: Conn, *, conversation_id: UUID, limit: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        select * from (
            select id, direction, sender, text, attachments, sent_at
              from public.messages where conversation_id = %(id)s
             order by sent_at desc limit %(limit)s
        ) m order by sent_at
        """,
        {"id": conversation_id, "limit": limit},
    )
    return await cur.fetchall()


async def set_owner(
    conn: Conn, *, conversation_id: UUID | str, owner: str, assigned_user_id: UUID | None
) -> None:
    await conn.execute(
        "update public.conversations set owner = %(owner)s, assigned_user_id = %(user)s, updated_at = now()"
        " where id = %(id)s",
        {"id": conversation_id, "owner": owner, "user": assigned_user_id},
    )


async def hold_for_staff(conn: Conn, *, conversation_id: UUID | str) -> None:
    """Staff hold it (an escalation opened): whoever it is assigned to keeps it."""
    await conn.execute(
        "update public.conversations set owner = 'human', updated_at = now() where id = %(id)s",
        {"id": conversation_id},
    )


def upsert_contact_query(
    *,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    platform: str,
    external_id: str,
    username: str | None = None,
    display_name: str | None = None,
    profile_refresh_days: int = 30,
) -> Query:
    """The contact's id, and `profile_due`: an Instagram contact whose profile was never read,
    or was read before `profile_after` (the worker then reads it from Meta)."""
    return Query(
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


def upsert_conversation_query(
    *, workspace_id: UUID | str, social_account_id: UUID | str, external_id: str, channel: str
) -> Query:
    """The conversation with the contact `external_id` (written by `upsert_contact_query` just
    before, in the same transaction: both go in one message)."""
    return Query(
        """
        insert into public.conversations (workspace_id, social_account_id, contact_id, channel)
        select %(ws)s, %(acct)s, ct.id, %(channel)s
          from public.contacts ct
         where ct.social_account_id = %(acct)s and ct.external_id = %(ext)s
        on conflict (social_account_id, contact_id, channel) do update set updated_at = now()
        returning id, owner, status, last_inbound_at, last_outbound_at
        """,
        {"ws": workspace_id, "acct": social_account_id, "ext": external_id, "channel": channel},
    )


def insert_message_query(
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str,
    direction: str,
    sender: str,
    platform_message_id: str | None,
    text: str | None,
    attachments: list[Any],
    sent_at: datetime | None,
) -> Query:
    """A platform message stored already (a redelivery, or both the webhook and reconciliation
    saw it) keeps its row and returns that id."""
    return Query(
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


insert_message = one_row(insert_message_query)


def touch_conversation_query(
    *,
    conversation_id: UUID | str,
    inbound_at: datetime | None = None,
    outbound_at: datetime | None = None,
    owner: str | None = None,
) -> Query:
    return Query(
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


touch_conversation = statement(touch_conversation_query)


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


def claim_profile_fetch_query(*, contact_id: UUID | str, refresh_days: int) -> Query:
    """The contact and its account's token, when its profile is due and nobody else is reading
    it (marking it read now is the claim); no row otherwise."""
    return Query(
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


def store_profile_query(
    *,
    contact_id: UUID | str,
    username: str | None,
    display_name: str | None,
    avatar_url: str | None,
) -> Query:
    return Query(
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


def read_conversation_query(*, conversation_id: UUID | str) -> Query:
    return Query(
        """
        select c.id, c.workspace_id, c.owner, c.channel, c.social_account_id, c.last_inbound_at,
               ct.external_id as contact_external_id,
               -- when a person last did something here: their last answer, or taking it over
               coalesce(c.last_outbound_at, c.updated_at) as human_active_at
          from public.conversations c join public.contacts ct on ct.id = c.contact_id
         where c.id = %(id)s
        """,
        {"id": conversation_id},
    )


# inbound messages after our (or staff's) last outbound one
_UNANSWERED = """
  from public.messages m
 where m.conversation_id = %(id)s and m.direction = 'inbound'
   and m.sent_at > coalesce((select max(sent_at) from public.messages o
                              where o.conversation_id = %(id)s and o.direction = 'outbound'), '-infinity')
"""


def unanswered_messages_query(*, conversation_id: UUID | str) -> Query:
    """Oldest first; `age_s`: seconds since we stored each, by the database's clock (the burst
    window is measured from the newest, with no clock skew between worker and database)."""
    return Query(
        "select id, text, attachments, sent_at,"
        " date_part('epoch', clock_timestamp() - m.created_at) as age_s"
        + _UNANSWERED
        + " order by m.sent_at, m.created_at",
        {"id": conversation_id},
    )


def history_query(*, conversation_id: UUID | str, limit: int) -> Query:
    """The `limit` messages before the first unanswered one, oldest first (see `history`)."""
    return Query(
        """
        select direction, text from (
            select direction, text, sent_at from public.messages
             where conversation_id = %(id)s and text is not null
               and sent_at < (select min(m.sent_at) from public.messages m
                               where m.conversation_id = %(id)s and m.direction = 'inbound'
                                 and m.sent_at > coalesce((select max(sent_at) from public.messages o
                                                            where o.conversation_id = %(id)s
                                                              and o.direction = 'outbound'), '-infinity'))
             order by sent_at desc limit %(limit)s
        ) recent order by sent_at
        """,
        {"id": conversation_id, "limit": limit},
    )


def history(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The rows of `history_query` as the agent reads them: (who, text)."""
    return [("customer" if r["direction"] == "inbound" else "business", r["text"]) for r in rows]


async def return_idle_to_bot(
    conn: Conn, *, conversation_id: UUID | str, idle_minutes: float
) -> bool:
    """A conversation staff hold but left idle for `idle_minutes` goes back to the bot."""
    cur = await conn.execute(
        """
        update public.conversations
           set owner = 'bot', assigned_user_id = null, updated_at = now()
         where id = %(id)s and owner = 'human'
           and coalesce(last_outbound_at, updated_at) < now() - make_interval(mins => %(idle)s::int)
        returning id
        """,
        {"id": conversation_id, "idle": int(idle_minutes)},
    )
    return await cur.fetchone() is not None
