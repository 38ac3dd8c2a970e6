"""The per-process cache behind token verdicts, memberships and moderation verdicts: an entry is
gone once its time is up, never kept past the cache's own TTL, and the cache stays bounded."""

from __future__ import annotations

import pytest

from app import cache as cache_module
from app.cache import ExpiringCache


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    return now


def test_an_entry_expires_after_its_ttl(clock: list[float]) -> None:
    verdicts: ExpiringCache[str, int] = ExpiringCache(ttl_s=60)
    verdicts.put("a", 1)
    verdicts.put("b", 2, ttl_s=5)
    verdicts.put("c", 3, ttl_s=600)  # capped at the cache's 60 s
    clock[0] += 5
    assert (verdicts.get("a"), verdicts.get("b"), verdicts.get("c")) == (1, None, 3)
    clock[0] += 55
    assert verdicts.get("a") is None and verdicts.get("c") is None and len(verdicts) == 0


def test_no_ttl_keeps_nothing_and_the_cache_stays_bounded(clock: list[float]) -> None:
    off: ExpiringCache[str, int] = ExpiringCache(ttl_s=0)
    off.put("a", 1)
    assert off.get("a") is None
    expired: ExpiringCache[str, int] = ExpiringCache(ttl_s=60)
    expired.put("a", 1, ttl_s=-3)  # a token that expired already
    assert expired.get("a") is None

    small: ExpiringCache[int, int] = ExpiringCache(ttl_s=60, max_entries=3)
    for n in range(10):
        small.put(n, n)
        assert len(small) <= 3
    small.put(10, 10)
    small.put(11, 11)
    assert len(small) == 3
    small.put(10, 100)  # replacing a key that is there does not empty a full cache
    assert (small.get(9), small.get(10), small.get(11)) == (9, 100, 11)
