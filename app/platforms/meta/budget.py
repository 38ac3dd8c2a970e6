"""A token bucket per Meta account in Redis, shared by every sender process, so all of ours
together stay under the platform's limits; and a pause flag after Meta throttles us."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from app.logging import get_logger

log = get_logger("meta.budget")

# KEYS[1] bucket; ARGV: rate per second, burst, now (s). Returns seconds to wait (0 = granted).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


class AccountBudget:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._take = redis.register_script(_TAKE)

    async def wait_time(self, account: str, bucket: str, rate: Rate) -> float:
        """Seconds until a call may go out (0 now). Redis trouble fails open: the budget
        protects against Meta's limits, it must not stop replies when Redis blips."""
        try:
            paused = await self._redis.pttl(f"graph:pause:{account}")
            if paused and paused > 0:
                return paused / 1000
            wait = await self._take(
                keys=[f"graph:budget:{account}:{bucket}"],
                args=[rate.per_second, rate.burst, time.time()],
            )
            return float(wait)
        except Exception as exc:
            log.warning("budget unavailable; sending without it", error=type(exc).__name__)
            return 0.0

    async def pause(self, account: str, seconds: float) -> None:
        try:
            await self._redis.set(f"graph:pause:{account}", "1", px=max(1, int(seconds * 1000)))
        except Exception as exc:
            log.warning("could not record throttling pause", error=type(exc).__name__)
