"""Cursor pagination for every list: `?limit=&cursor=`, answered as
`{"items": [...], "next_cursor": ...}`.

The cursor holds the last item's sort key (for example its time and id), opaque to clients: the
next page starts strictly after it, so a page never repeats or skips rows when new ones arrive
meanwhile, which offsets would. Repos take the decoded key and compare row values with it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from app.errors import InvalidInput

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
CursorParam = Annotated[
    str | None,
    Query(
        max_length=500, description="`next_cursor` of the previous page; leave out for the first"
    ),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: Callable[[str], Any]) -> list[Any] | None:
    """The sort key a cursor holds, each part parsed by its type (`datetime.fromisoformat`,
    `UUID`, `int`, ...): a cursor that is not one of ours is a 400, never a failed query."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        return [parse(str(v)) for parse, v in zip(types, values, strict=True)]
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "cursor is not one this API gave: start again without it", error_code="invalid_cursor"
        ) from exc


def flag(value: str) -> bool:
    """A boolean part of a sort key, as `encode_cursor` wrote it."""
    if value not in ("True", "False"):
        raise ValueError(value)
    return value == "True"


def time_id_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The most common key: (a timestamp, a uuid)."""
    key = decode_cursor(cursor, datetime.fromisoformat, UUID)
    return (key[0], key[1]) if key else None


def page_of(
    rows: Sequence[dict[str, Any]],
    *,
    limit: int,
    key: Callable[[dict[str, Any]], tuple[Any, ...]],
    item: Callable[[dict[str, Any]], T],
) -> Page[T]:
    """`rows` were fetched with `limit + 1`: the extra one only says that another page exists."""
    shown = list(rows[:limit])
    more = len(rows) > limit and bool(shown)
    items = [item(row) for row in shown]
    # the concrete class (Page[ConversationOut], not Page[T]): FastAPI then takes the page as
    # it is instead of validating every item a second time against the response model
    page: type[Page[T]] = Page[type(items[0])] if items else Page[T]  # type: ignore[misc,assignment]
    return page(items=items, next_cursor=encode_cursor(*key(shown[-1])) if more else None)
