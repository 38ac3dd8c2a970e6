"""Who belongs to which workspace, with what role, remembered for a few seconds per process.

Every API request names a workspace, and looking the membership up was a whole transaction of
its own (the most frequent query of all). The database stays the authority: RLS checks
membership and role on every row read or written, so a member removed or demoted in another
process loses access at once and only the error they see may lag by at most the TTL. Changes
made through this process clear it at once."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID


class MembershipCache:
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[tuple[UUID, UUID | None], tuple[float, dict[str, Any]]] = {}

    def get(self, user_id: UUID, workspace_id: UUID | None) -> dict[str, Any] | None:
        entry = self._entries.get((user_id, workspace_id))
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[(user_id, workspace_id)]
            return None
        return entry[1]

    def put(self, user_id: UUID, workspace_id: UUID | None, membership: dict[str, Any]) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded: a burst of users only costs look-ups again
        self._entries[(user_id, workspace_id)] = (time.monotonic() + self.ttl_s, membership)

    def clear(self) -> None:
        self._entries.clear()
