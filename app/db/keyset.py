"""The SQL side of cursor pagination (app/pagination.py): a page starts strictly after the
previous page's last (time, id), in the list's own order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal


def after_key(columns: str, order: Literal["asc", "desc"] = "desc") -> str:
    """A where-clause term: rows after the cursor in `order` of `columns` ("k.created_at, k.id");
    true on the first page."""
    compare = "<" if order == "desc" else ">"
    return (
        f"(%(after_at)s::timestamptz is null"
        f" or ({columns}) {compare} (%(after_at)s::timestamptz, %(after_id)s::uuid))"
    )


def after_params(after: Sequence[Any] | None) -> dict[str, Any]:
    return {"after_at": after[0] if after else None, "after_id": after[1] if after else None}
