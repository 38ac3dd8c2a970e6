"""Keeping a row's lease while its worker works on it.

Work that a dead worker must hand on within seconds (a webhook event being answered, a send in
flight) is leased, not locked: the row says until when its worker owns it. While the body runs
the lease is renewed every third of its length; a worker that dies stops renewing, and within
one lease a sweeper gives the work to another worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from app.logging import get_logger

log = get_logger("leases")


@contextlib.asynccontextmanager
async def renewing(lease_s: float, renew: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    async def keep() -> None:
        # the lease was just taken: most bodies end before the first renewal
        while True:
            await asyncio.sleep(lease_s / 3)
            try:
                await renew()
            except Exception:
                # the next renewal may get through before the lease ends
                log.warning("lease renewal failed", exc_info=True)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
