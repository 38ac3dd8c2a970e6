"""SQL for the staff's view of comments (the inbox writes them as they arrive)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.keyset import after_key, after_params
from app.db.session import Conn

_COMMENT = """
select k.id, k.social_account_id as account_id, k.platform_comment_id, k.platform_media_id,
       k.parent_comment_id, k.from_id, k.from_username, k.text, k.hidden, k.replied_at,
       k.private_replied_at, k.commented_at, k.conversation_id,
       a.platform, a.external_id as account_external_id, a.access_token_encrypted,
       open_escalation.found is not null as escalated,
       d.decision as bot_decision, d.reasons as bot_reasons
  from public.comments k
  join public.social_accounts a on a.id = k.social_account_id
  -- a probe per listed comment (an EXISTS here is planned as a scan of every open escalation)
  left join lateral (
      select true as found from public.escalations e
       where e.conversation_id = k.conversation_id and e.status <> 'resolved' limit 1
  ) open_escalation on true
  left join lateral (
      select dd.decision, dd.reasons
        from public.webhook_events w
        join public.ai_decisions dd on dd.webhook_event_id = w.id
       where w.dedupe_key = 'ig:comment:' || k.platform_comment_id
       order by dd.created_at desc limit 1
  ) d on true
"""

_STATUS = {
    "pending": "not k.hidden and k.replied_at is null and k.private_replied_at is null",
    "answered": "(k.replied_at is not null or k.private_replied_at is not null)",
    "hidden": "k.hidden",
    "escalated": "exists (select 1 from public.escalations e where e.conversation_id ="
    " k.conversation_id and e.status <> 'resolved')",
}


async def list_comments(
    conn: Conn,
    *,
    workspace_id: UUID,
    account_id: UUID | None,
    media_id: str | None,
    status: str | None,
    limit: int,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `after` is the previous page's last (commented_at, id)."""
    condition = _STATUS[status] if status else "true"
    cur = await conn.execute(
        _COMMENT
        + f"""
         where k.workspace_id = %(ws)s
           and (%(account)s::uuid is null or k.social_account_id = %(account)s)
           and (%(media)s::text is null or k.platform_media_id = %(media)s)
           and {condition}
           and {after_key("k.commented_at, k.id")}
         order by k.commented_at desc, k.id desc limit %(limit)s
        """,
        {
            "ws": workspace_id,
            "account": account_id,
            "media": media_id,
            "limit": limit,
            **after_params(after),
        },
    )
    return await cur.fetchall()


async def get_comment(conn: Conn, *, workspace_id: UUID, comment_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        _COMMENT + " where k.workspace_id = %(ws)s and k.id = %(id)s",
        {"ws": workspace_id, "id": comment_id},
    )
    return await cur.fetchone()


async def set_hidden(conn: Conn, *, comment_id: UUID, hidden: bool) -> None:
    await conn.execute(
        "update public.comments set hidden = %(hidden)s where id = %(id)s",
        {"id": comment_id, "hidden": hidden},
    )


async def delete_comment(conn: Conn, *, comment_id: UUID) -> None:
    await conn.execute("delete from public.comments where id = %(id)s", {"id": comment_id})


_AFTER_SEND = {
    "comment_reply": "replied_at = coalesce(replied_at, now())",
    "private_reply": "private_replied_at = coalesce(private_replied_at, now())",
    "hide_comment": "hidden = true",
}


async def record_sent(
    conn: Conn, *, workspace_id: UUID | str, platform_comment_id: str, kind: str
) -> None:
    """What went out for the comment (the bot's or staff's): a public or private reply, a hide."""
    if kind not in _AFTER_SEND:
        return
    await conn.execute(
        f"update public.comments set {_AFTER_SEND[kind]}"  # noqa: S608 - one of the constants
        " where workspace_id = %(ws)s and platform_comment_id = %(cid)s",
        {"ws": workspace_id, "cid": platform_comment_id},
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
