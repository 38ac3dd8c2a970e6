"""Answers remembered in one process for a while: bounded, and wrong for at most their TTL.

Used where asking again gives the same answer until a known time (an access token's verdict
until it expires), where the database stays the authority and a short lag is harmless (who
belongs to which workspace), and where a remote check is costly and the same text comes back
often (moderation of FAQ answers, which are identical across customers)."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: K, value: V, ttl_s: float | None = None) -> None:
        """Remember `value` for `ttl_s` (the cache's own TTL unless given; 0 or less: not at
        all)."""
        ttl = self.ttl_s if ttl_s is None else min(ttl_s, self.ttl_s)
        if ttl <= 0:
            return
        if len(self._entries) >= self.max_entries and key not in self._entries:
            # bounded: a burst of new keys only costs asking again
            self._entries.clear()
        self._entries[key] = (time.monotonic() + ttl, value)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
