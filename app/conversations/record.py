"""What other domains record about a conversation, in their own transaction: a customer's
message arriving, our reply going out, a reply typed in the platform's app, who holds it.

Ingest, replies, outbound and the staff inbox call these; none of them writes contacts,
conversations or messages itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from app.conversations import repo
from app.db.session import Conn
from app.db.trips import Query


@dataclass(frozen=True)
class Thread:
    """The customer and their conversation on one channel, created on first contact."""

    contact_id: UUID
    conversation_id: UUID
    owner: str
    # the customer's profile should be read from Meta now (first contact, or stale)
    profile_due: bool


def thread_queries(
    *,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    platform: str,
    channel: str,
    customer: str,
    username: str | None = None,
    display_name: str | None = None,
    profile_refresh_days: int = 30,
) -> list[Query]:
    """The customer's contact and conversation, created on first contact: two statements that
    go in one message; `thread_from` reads their rows."""
    return [
        repo.upsert_contact_query(
            workspace_id=workspace_id,
            social_account_id=social_account_id,
            platform=platform,
            external_id=customer,
            username=username,
            display_name=display_name,
            profile_refresh_days=profile_refresh_days,
        ),
        repo.upsert_conversation_query(
            workspace_id=workspace_id,
            social_account_id=social_account_id,
            external_id=customer,
            channel=channel,
        ),
    ]


def thread_from(rows: list[list[dict[str, Any]]]) -> Thread:
    [contact], [conversation] = rows[0], rows[1]
    return Thread(
        contact_id=contact["id"],
        conversation_id=conversation["id"],
        owner=conversation["owner"],
        profile_due=bool(contact["profile_due"]),
    )


def record_inbound_queries(
    *,
    workspace_id: UUID | str,
    conversation_id: UUID,
    platform_message_id: str,
    text: str | None,
    attachments: list[Any],
    sent_at: datetime,
) -> list[Query]:
    """The customer's message (a redelivery keeps the row it has); the customer now waits. Sent
    with the event's other statements; the first returns the message's id."""
    return [
        repo.insert_message_query(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            direction="inbound",
            sender="contact",
            platform_message_id=platform_message_id,
            text=text,
            attachments=attachments,
            sent_at=sent_at,
        ),
        repo.touch_conversation_query(conversation_id=conversation_id, inbound_at=sent_at),
    ]


async def record_comment_activity(conn: Conn, *, conversation_id: UUID, at: datetime) -> None:
    """A comment (stored by `comments`) counts as the customer's latest word here."""
    await repo.touch_conversation(conn, conversation_id=conversation_id, inbound_at=at)


async def record_app_reply(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    conversation_id: UUID,
    platform_message_id: str,
    text: str | None,
    attachments: list[Any],
    sent_at: datetime,
) -> None:
    """Someone answered from the platform's own app: their message is in the thread, and a
    person holds the conversation from now on."""
    await repo.insert_message(
        conn,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        direction="outbound",
        sender="human",
        platform_message_id=platform_message_id,
        text=text,
        attachments=attachments,
        sent_at=sent_at,
    )
    await repo.touch_conversation(
        conn, conversation_id=conversation_id, outbound_at=sent_at, owner="human"
    )


def record_sent_queries(
    *,
    workspace_id: UUID | str,
    conversation_id: UUID | str,
    sender: str,
    platform_message_id: str | None,
    text: str | None,
    attachments: list[Any],
) -> list[Query]:
    """Our message (the bot's or staff's) went out. The conversation row is written first: the
    order a staff reply takes its locks in (conversation, then its outbound row)."""
    return [
        repo.touch_conversation_query(
            conversation_id=conversation_id, outbound_at=datetime.now(UTC)
        ),
        repo.insert_message_query(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            direction="outbound",
            sender=sender,
            platform_message_id=platform_message_id,
            text=text,
            attachments=attachments,
            sent_at=None,
        ),
    ]


async def hand_to_staff(
    conn: Conn, *, conversation_id: UUID | str, assignee: UUID | None = None
) -> None:
    """A person holds the conversation: the bot stays silent in it. With `assignee`, that
    person; without, whoever it was assigned to keeps it."""
    if assignee is None:
        await repo.hold_for_staff(conn, conversation_id=conversation_id)
    else:
        await repo.set_owner(
            conn, conversation_id=conversation_id, owner="human", assigned_user_id=assignee
        )


async def return_to_bot(conn: Conn, *, conversation_id: UUID | str) -> None:
    await repo.set_owner(conn, conversation_id=conversation_id, owner="bot", assigned_user_id=None)


async def return_idle_to_bot(
    conn: Conn, *, conversation_id: UUID | str, idle_minutes: float
) -> bool:
    """Back to the bot when staff left it idle for `idle_minutes` (the caller resolves its
    escalations: the customer's new message starts afresh)."""
    return await repo.return_idle_to_bot(
        conn, conversation_id=conversation_id, idle_minutes=idle_minutes
    )
