from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.keyset import after_key, after_params
from app.db.session import Conn

_PUBLIC_COLUMNS = """
    id, workspace_id, platform, external_id, display_name, username, page_id, waba_id,
    token_expires_at, token_status, token_refreshed_at, connected_at, disconnected_at, settings,
    token_problem, token_error, token_failed_at, access_token_encrypted is not null as has_token
"""


async def list_accounts(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """In the order they were first connected; `after`: the last (connected_at, id) shown."""
    cur = await conn.execute(
        f"select {_PUBLIC_COLUMNS} from public.social_accounts"  # noqa: S608 - constant columns
        f" where workspace_id = %(ws)s and {after_key('connected_at, id', 'asc')}"
        " order by connected_at, id limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
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
            token_status = 'ok', token_failures = 0, token_failed_at = null,
            token_problem = null, token_error = null,
            waba_id = coalesce(excluded.waba_id, social_accounts.waba_id),
            settings = social_accounts.settings || excluded.settings,
            disconnected_at = null
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


async def tokens_expiring_before(conn: Conn, *, horizon: datetime) -> list[dict[str, Any]]:
    """Instagram accounts with a working token that expires before `horizon`, soonest first."""
    cur = await conn.execute(
        """
        select id, workspace_id, platform, external_id as account_external_id,
               access_token_encrypted, token_expires_at,
               coalesce(token_refreshed_at, connected_at) as token_issued_at
          from public.social_accounts
         where platform = 'instagram'
           and token_status in ('ok', 'expiring')
           and token_expires_at is not null
           and token_expires_at < %(horizon)s
         order by token_expires_at
        """,
        {"horizon": horizon},
    )
    return await cur.fetchall()


async def claim_token_refresh(conn: Conn, *, account_id: Any, issued_at: datetime) -> bool:
    """True when this run refreshes the account: nobody claimed it, nobody refreshed it since."""
    cur = await conn.execute(
        """
        update public.social_accounts
           set token_refresh_claimed_until = now() + interval '5 minutes'
         where id = %(id)s
           and coalesce(token_refreshed_at, connected_at) = %(issued)s
           and (token_refresh_claimed_until is null or token_refresh_claimed_until < now())
        returning id
        """,
        {"id": account_id, "issued": issued_at},
    )
    return await cur.fetchone() is not None


async def set_token_status(conn: Conn, *, account_id: Any, status: str) -> None:
    """Also gives a refresh claim back: the next run may try again."""
    await conn.execute(
        "update public.social_accounts set token_status = %(status)s,"
        " token_refresh_claimed_until = null where id = %(id)s",
        {"id": account_id, "status": status},
    )


async def release_token_refresh(conn: Conn, *, account_id: Any) -> None:
    """The next run may try again."""
    await conn.execute(
        "update public.social_accounts set token_refresh_claimed_until = null where id = %(id)s",
        {"id": account_id},
    )


async def flag_tokens_ending_before_posts(conn: Conn, *, horizon: datetime, problem: str) -> int:
    """Flags accounts whose token ends before `horizon` and before one of their queued posts is
    due; lifts the flag from those where that is no longer so. Returns how many are flagged now."""
    await conn.execute(
        """
        update public.social_accounts a set token_problem = null
         where a.token_problem = %(problem)s
           and not (a.token_expires_at < %(horizon)s and exists (
                select 1 from public.scheduled_posts p
                 where p.social_account_id = a.id and p.status in ('scheduled', 'publishing')
                   and p.publish_at > a.token_expires_at))
        """,
        {"problem": problem, "horizon": horizon},
    )
    await conn.execute(
        """
        update public.social_accounts a set token_problem = %(problem)s
         where a.token_problem is null and a.access_token_encrypted is not null
           and a.token_expires_at < %(horizon)s
           and exists (
                select 1 from public.scheduled_posts p
                 where p.social_account_id = a.id and p.status in ('scheduled', 'publishing')
                   and p.publish_at > a.token_expires_at)
        """,
        {"problem": problem, "horizon": horizon},
    )
    cur = await conn.execute(
        "select count(*) as n from public.social_accounts where token_problem = %(problem)s",
        {"problem": problem},
    )
    row: Any = await cur.fetchone()
    return int(row["n"])


async def store_refreshed_token(
    conn: Conn, *, account_id: Any, token_encrypted: str, expires_at: datetime, now: datetime
) -> None:
    await conn.execute(
        """
        update public.social_accounts
           set access_token_encrypted = %(token)s, token_expires_at = %(expires)s,
               token_refreshed_at = %(now)s, token_status = 'ok',
               token_refresh_claimed_until = null, token_failures = 0, token_failed_at = null,
               token_error = null, token_problem = null
         where id = %(id)s
        """,
        {"id": account_id, "token": token_encrypted, "expires": expires_at, "now": now},
    )


async def instagram_accounts_to_poll(conn: Conn) -> list[dict[str, Any]]:
    """What the missed-event radar polls: every connected Instagram account with a token, a
    flagged one too (it is read as far as its token allows, and a success clears the flag)."""
    cur = await conn.execute(
        "select id, workspace_id, platform, external_id as account_external_id, access_token_encrypted,"
        " token_status, token_failures from public.social_accounts"
        " where platform = 'instagram' and access_token_encrypted is not null"
        " and disconnected_at is null"
    )
    return await cur.fetchall()


async def note_token_refused(
    conn: Conn,
    *,
    account_id: Any,
    problem: str,
    error: str,
    at_once: bool,
    flag_after: int,
    window_s: float,
) -> str | None:
    """Counts one refusal (a new count once the last one is older than the window) and flags
    the account when it is definite or the count reaches `flag_after`. A disconnected account
    is left as it is. Returns the account's token status afterwards."""
    cur = await conn.execute(
        """
        with counted as (
            select id, case when token_failed_at > now() - make_interval(secs => %(window)s::float8)
                            then token_failures + 1 else 1 end as failures
              from public.social_accounts
             where id = %(id)s and access_token_encrypted is not null
             for update
        )
        update public.social_accounts a
           set token_failures = counted.failures, token_failed_at = now(),
               token_error = %(error)s,
               token_status = case when %(at_once)s or counted.failures >= %(after)s
                                   then 'needs_reconnect' else a.token_status end,
               token_problem = case when %(at_once)s or counted.failures >= %(after)s
                                    then %(problem)s else a.token_problem end
          from counted
         where a.id = counted.id
        returning a.token_status
        """,
        {
            "id": account_id,
            "window": window_s,
            "error": error[:500],
            "at_once": at_once,
            "after": flag_after,
            "problem": problem,
        },
    )
    row: Any = await cur.fetchone()
    return row["token_status"] if row else None


async def note_token_worked(conn: Conn, *, account_id: Any) -> None:
    """Meta accepted the token: refusals are forgotten and a reconnect flag is lifted. Writes
    nothing for a healthy account."""
    await conn.execute(
        """
        update public.social_accounts
           set token_failures = 0, token_failed_at = null, token_error = null,
               token_problem = case when token_status = 'needs_reconnect' then null
                                    else token_problem end,
               token_status = case when token_status = 'needs_reconnect' then 'ok'
                                   else token_status end
         where id = %(id)s and access_token_encrypted is not null
           and (token_failures > 0 or token_status = 'needs_reconnect')
        """,
        {"id": account_id},
    )


async def taken_elsewhere(
    conn: Conn, *, platform: str, external_id: str, workspace_id: UUID
) -> bool:
    """Whether another workspace has connected this account (the answer is all it learns)."""
    cur = await conn.execute(
        "select app.social_account_taken_elsewhere(%(p)s, %(e)s, %(ws)s) as taken",
        {"p": platform, "e": external_id, "ws": workspace_id},
    )
    row: Any = await cur.fetchone()
    return bool(row["taken"])


async def get_account(conn: Conn, *, workspace_id: UUID, account_id: UUID) -> dict[str, Any] | None:
    """The account with its encrypted token (for calls made on the workspace's behalf)."""
    cur = await conn.execute(
        f"select {_PUBLIC_COLUMNS}, access_token_encrypted from public.social_accounts"  # noqa: S608
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": account_id},
    )
    return await cur.fetchone()


async def accounts_with_tokens(conn: Conn, *, workspace_id: UUID) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"select {_PUBLIC_COLUMNS}, access_token_encrypted from public.social_accounts"  # noqa: S608
        " where workspace_id = %(ws)s and access_token_encrypted is not null",
        {"ws": workspace_id},
    )
    return await cur.fetchall()


async def mark_disconnected(conn: Conn, *, workspace_id: UUID, account_id: UUID) -> None:
    """The token is deleted; the account row and its conversations stay, read-only."""
    await conn.execute(
        """
        update public.social_accounts
           set access_token_encrypted = null, token_status = 'revoked', disconnected_at = now(),
               token_expires_at = null
         where workspace_id = %(ws)s and id = %(id)s
        """,
        {"ws": workspace_id, "id": account_id},
    )


async def mark_deauthorized(
    conn: Conn, *, platform: str, external_id: str, problem: str
) -> list[dict[str, Any]]:
    """The person removed our app on Meta's side: the token is deleted and the account is
    disconnected, in whichever workspace has it. Returns the accounts touched."""
    cur = await conn.execute(
        """
        update public.social_accounts
           set access_token_encrypted = null, token_status = 'revoked', token_problem = %(problem)s,
               disconnected_at = coalesce(disconnected_at, now()), token_expires_at = null
         where platform = %(p)s and external_id = %(e)s
        returning id, workspace_id
        """,
        {"p": platform, "e": external_id, "problem": problem},
    )
    return await cur.fetchall()


async def delete_by_external_id(
    conn: Conn, *, platform: str, external_id: str
) -> list[dict[str, Any]]:
    """Deletes the account and, through its foreign keys, its contacts, conversations,
    messages, comments, posts and outbound messages."""
    cur = await conn.execute(
        "delete from public.social_accounts where platform = %(p)s and external_id = %(e)s"
        " returning id, workspace_id",
        {"p": platform, "e": external_id},
    )
    return await cur.fetchall()


async def record_deletion_request(
    conn: Conn, *, code: str, platform: str, platform_user_id: str, accounts_deleted: int
) -> None:
    await conn.execute(
        """
        insert into app_private.data_deletion_requests
            (confirmation_code, platform, platform_user_id, accounts_deleted, completed_at)
        values (%(code)s, %(p)s, %(u)s, %(n)s, now())
        """,
        {"code": code, "p": platform, "u": platform_user_id, "n": accounts_deleted},
    )


async def deletion_request(conn: Conn, *, code: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select confirmation_code, platform, requested_at, completed_at"
        " from app_private.data_deletion_requests where confirmation_code = %(code)s",
        {"code": code},
    )
    return await cur.fetchone()
