"""The events integrations can subscribe to, and how a domain records one: inside its own
transaction, so the deliveries exist exactly when the change does (a crash loses neither)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from app.db.session import Conn
from app.db.trips import Query
from app.integrations import repo

MESSAGE_RECEIVED = "message.received"
COMMENT_RECEIVED = "comment.received"
ESCALATION_OPENED = "escalation.opened"
SEND_FAILED = "send.failed"
POST_PUBLISHED = "post.published"
POST_FAILED = "post.failed"
PING = "ping"  # only the endpoint's own test
SUBSCRIBABLE = (
    MESSAGE_RECEIVED,
    COMMENT_RECEIVED,
    ESCALATION_OPENED,
    SEND_FAILED,
    POST_PUBLISHED,
    POST_FAILED,
)


def envelope(workspace_id: UUID | str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """What a receiver gets: the event's id (the same on a redelivery), type, time and data."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "created_at": datetime.now(UTC).isoformat(),
        "workspace_id": str(workspace_id),
        # times and ids as text, as the receiver reads them
        "data": json.loads(json.dumps(data, default=str)),
    }


async def record(
    conn: Conn, workspace_id: UUID | str, event_type: str, data: dict[str, Any]
) -> int:
    """One delivery per enabled endpoint of the workspace subscribed to the event; a single
    insert (nothing to do for a workspace without integrations)."""
    return await repo.enqueue_event(
        conn, workspace_id=workspace_id, event=envelope(workspace_id, event_type, data)
    )


def record_query(workspace_id: UUID | str, event_type: str, data: dict[str, Any]) -> Query:
    """`record` as a statement to send with others."""
    return repo.enqueue_event_query(
        workspace_id=workspace_id, event=envelope(workspace_id, event_type, data)
    )
