"""Sends webhooks to the bot as Meta does: compact JSON with unicode escaped, signed with the
app secret over exactly those bytes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from app.platforms.meta.signature import sign


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    payload: dict[str, Any],
    *,
    times: int = 1,
    concurrent: bool = False,
) -> list[int]:
    body = encode(payload)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}

    async def once() -> int:
        try:
            response = await client.post(url, content=body, headers=headers, timeout=10)
            return response.status_code
        except httpx.HTTPError:
            return 0

    if concurrent:
        return list(await asyncio.gather(*(once() for _ in range(times))))
    return [await once() for _ in range(times)]


def delivery_record(platform: str, url: str, statuses: list[int]) -> dict[str, Any]:
    return {"platform": platform, "url": url, "statuses": statuses, "time": time.time()}
