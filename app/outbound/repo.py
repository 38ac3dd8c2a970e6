"""SQL for outbound messages: the one place that writes them (worker, staff or ingest sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.keyset import after_key, after_params
from app.db.session import Conn
from app.db.trips import Query, one_row, statement


def create_outbound_query(
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str | None,
    social_account_id: UUID | str,
    idempotency_key: str,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    lease_s: float,
    decision_id: UUID | None = None,
    sender: str = "bot",
) -> Query:
    """The message for this key: new, or the one a previous (crashed, retried, duplicated) run
    wrote, never a second one. `created` tells which. A new one is leased to its writer, who
    sends it at once; if the writer dies first, the requeue job takes it when the lease ends."""
    return Query(
        """
        insert into public.outbound_messages
            (workspace_id, conversation_id, social_account_id, idempotency_key, kind, recipient, payload, decision_id, sender,
             lease_until)
        values (%(ws)s, %(conv)s, %(acct)s, %(key)s, %(kind)s, %(recipient)s, %(payload)s, %(decision)s, %(sender)s,
                now() + make_interval(secs => %(lease)s::float8))
        on conflict (idempotency_key) do update set idempotency_key = excluded.idempotency_key
        returning id, status, (xmax = 0) as created
        """,
        {
            "ws": workspace_id,
            "conv": conversation_id,
            "acct": social_account_id,
            "key": idempotency_key,
            "kind": kind,
            "recipient": recipient,
            "payload": Jsonb(payload),
            "decision": decision_id,
            "sender": sender,
            "lease": lease_s,
        },
    )


create_outbound = one_row(create_outbound_query)


def find_by_key_query(*, idempotency_key: str) -> Query:
    return Query(
        "select id, status from public.outbound_messages where idempotency_key = %(key)s",
        {"key": idempotency_key},
    )


async def get_outbound(conn: Conn, *, outbound_id: UUID | str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, workspace_id, conversation_id, kind, status from public.outbound_messages"
        " where id = %(id)s",
        {"id": outbound_id},
    )
    return await cur.fetchone()


def claim_for_send_query(*, outbound_id: UUID | str) -> Query:
    """Locks the message and its conversation's state for the send decision."""
    return Query(
        """
        select o.id, o.workspace_id, o.conversation_id, o.social_account_id, o.kind, o.recipient, o.payload, o.status,
               o.attempts, o.sender, o.created_at, o.updated_at, o.lease_until, c.owner, c.last_inbound_at, c.channel,
               a.platform, a.external_id as account_external_id, a.access_token_encrypted, a.token_status,
               a.token_failures
          from public.outbound_messages o
          join public.social_accounts a on a.id = o.social_account_id
          left join public.conversations c on c.id = o.conversation_id
         where o.id = %(id)s
         for update of o
        """,
        {"id": outbound_id},
    )


def set_status_query(
    *,
    outbound_id: UUID | str,
    status: str,
    error: str | None = None,
    platform_message_id: str | None = None,
    count_attempt: bool = False,
    lease_s: float | None = None,
) -> Query:
    """`lease_s`: who set the status owns the send that long (sending it, or retrying it later);
    without one, the requeue job may hand it to any worker."""
    return Query(
        """
        update public.outbound_messages
           set status = %(status)s, last_error = %(error)s, updated_at = now(),
               lease_until = now() + make_interval(secs => %(lease)s::float8),
               platform_message_id = coalesce(%(pmid)s, platform_message_id),
               attempts = attempts + %(inc)s,
               sent_at = case when %(status)s = 'sent' then coalesce(sent_at, now()) else sent_at end
         where id = %(id)s
        """,
        {
            "id": outbound_id,
            "status": status,
            "error": error,
            "pmid": platform_message_id,
            "inc": 1 if count_attempt else 0,
            "lease": lease_s,
        },
    )


set_status = statement(set_status_query)


async def mark_sent_by_echo(
    conn: Conn, *, workspace_id: UUID | str, outbound_id: str, platform_message_id: str
) -> bool:
    """An echo carrying our metadata proves an unconfirmed send arrived."""
    cur = await conn.execute(
        """
        update public.outbound_messages set status = 'sent', platform_message_id = %(pmid)s, sent_at = coalesce(sent_at, now()),
               updated_at = now(), last_error = null, lease_until = null
         where workspace_id = %(ws)s and id::text = %(id)s and status in ('sending', 'unconfirmed', 'failed', 'pending')
        """,
        {"ws": workspace_id, "id": outbound_id, "pmid": platform_message_id},
    )
    return cur.rowcount > 0


async def list_outbound(
    conn: Conn,
    *,
    workspace_id: UUID,
    status: str | None,
    limit: int,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"""
        select id, conversation_id, kind, recipient, payload, status, attempts, platform_message_id, last_error,
               created_at, updated_at, sent_at
          from public.outbound_messages
         where workspace_id = %(ws)s and (%(status)s::text is null or status = %(status)s)
           and {after_key("created_at, id")}
         order by created_at desc, id desc limit %(limit)s
        """,  # noqa: S608 - constant fragments
        {"ws": workspace_id, "status": status, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def retryable(conn: Conn, *, workspace_id: UUID, outbound_id: UUID) -> dict[str, Any] | None:
    """A dead or failed message with its conversation's state, locked for the release."""
    cur = await conn.execute(
        """
        select o.id, o.kind, o.payload, o.sender, c.last_inbound_at
          from public.outbound_messages o
          left join public.conversations c on c.id = o.conversation_id
         where o.workspace_id = %(ws)s and o.id = %(id)s and o.status in ('dead', 'failed')
         for update of o
        """,
        {"ws": workspace_id, "id": outbound_id},
    )
    return await cur.fetchone()


async def release_dead(conn: Conn, *, workspace_id: UUID, outbound_id: UUID) -> bool:
    """Staff release it: it goes out as theirs (a person now vouches for the bot's text), so the
    staff hold on its conversation does not cancel it again."""
    cur = await conn.execute(
        "update public.outbound_messages set status = 'pending', last_error = null, attempts = 0,"
        " sender = 'human', updated_at = now()"
        " where workspace_id = %(ws)s and id = %(id)s and status in ('dead', 'failed')",
        {"ws": workspace_id, "id": outbound_id},
    )
    return cur.rowcount > 0


async def claim_unowned_sends(
    conn: Conn, *, lease_s: float, limit: int = 500
) -> list[dict[str, Any]]:
    """The unfinished sends whose lease ran out (their worker died, their retry task was lost) or
    that never had one (released by staff): each is leased again for the task about to be
    enqueued, except a `sending` one, whose lapsed lease is what tells send_outbound that its
    worker is gone."""
    cur = await conn.execute(
        """
        with due as (
            select id, status from public.outbound_messages
             where status in ('pending', 'sending', 'failed', 'unconfirmed')
               and coalesce(lease_until, '-infinity') < now()
               -- only an Instagram DM can be looked up; other unconfirmed sends are staff's
               and (status <> 'unconfirmed' or kind = 'dm')
             for update skip locked limit %(limit)s
        ), leased as (
            update public.outbound_messages o set lease_until = now() + make_interval(secs => %(lease)s::float8)
              from due where o.id = due.id and due.status <> 'sending'
        )
        select o.id::text as id, o.workspace_id::text as workspace_id
          from public.outbound_messages o join due on due.id = o.id
        """,
        {"lease": lease_s, "limit": limit},
    )
    return await cur.fetchall()


async def renew_send_lease(conn: Conn, *, outbound_id: UUID | str, lease_s: float) -> None:
    await conn.execute(
        """
        update public.outbound_messages set lease_until = now() + make_interval(secs => %(lease)s::float8)
         where id = %(id)s and status = 'sending'
        """,
        {"id": outbound_id, "lease": lease_s},
    )


async def unsent_of(conn: Conn, *, conversation_id: UUID, limit: int = 20) -> list[dict[str, Any]]:
    """What is on its way to the customer (or could not be sent), oldest first: staff see it in
    the thread until it goes out."""
    cur = await conn.execute(
        """
        select id, sender, payload, status, last_error, created_at
          from public.outbound_messages
         where conversation_id = %(id)s and status not in ('sent', 'cancelled')
         order by created_at limit %(limit)s
        """,
        {"id": conversation_id, "limit": limit},
    )
    return await cur.fetchall()


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


def settle_echoes_query(echoes: list[dict[str, str]]) -> Query:
    """The echo of a message we sent proves it arrived: settled as the echo is stored, no task
    needed (this also settles a send whose outcome was unknown). Each echo names the receiving
    account (`platform`, `account`), our `outbound_id` and Meta's `platform_message_id`; an echo
    only settles a message of the workspace that owns the account."""
    return Query(
        """
        update public.outbound_messages o
           set status = 'sent', platform_message_id = e.platform_message_id,
               sent_at = coalesce(o.sent_at, now()), updated_at = now(), last_error = null
          from jsonb_to_recordset(%(echoes)s::jsonb)
               as e(platform text, account text, outbound_id uuid, platform_message_id text)
          join public.social_accounts a on a.platform = e.platform and a.external_id = e.account
         where o.id = e.outbound_id and o.workspace_id = a.workspace_id
           and o.status in ('sending', 'unconfirmed', 'failed', 'pending')
        """,
        {"echoes": Jsonb(echoes)},
    )
