"""Cursor pagination: `?limit=&cursor=`, answered as `{"items": [...], "next_cursor": ...}`.
The cursor is the last item's (time, id), opaque to clients: a page never repeats or skips rows
when new ones arrive meanwhile, which offsets would."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from app.errors import InvalidInput


def encode_cursor(at: datetime, row_id: Any) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), str(UUID(row_id) if "-" in row_id else int(row_id))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "cursor is not one this API gave: start again without it", error_code="invalid_cursor"
        ) from exc
