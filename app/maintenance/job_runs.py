"""One run per job per time slot, claimed in Postgres, so two Beat processes do each job once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from app.db.session import Pool, privileged_session


def slot_for(now: datetime, interval_s: float) -> datetime:
    """The start of the interval `now` falls in: every Beat computes the same slot."""
    seconds = max(interval_s, 1.0)
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, tz=UTC)


async def claim(
    pool: Pool, job: str, interval_s: float, now: datetime | None = None
) -> datetime | None:
    """The slot to run now, or None when another run already has it."""
    slot = slot_for(now or datetime.now(UTC), interval_s)
    async with privileged_session(pool) as conn:
        cur = await conn.execute(
            """
            insert into app_private.job_runs (job, slot) values (%(job)s, %(slot)s)
            on conflict (job, slot) do update set duplicates = job_runs.duplicates + 1
            returning xmax = 0 as claimed
            """,
            {"job": job, "slot": slot},
        )
        row = await cur.fetchone()
    return slot if row is not None and row["claimed"] else None


async def finish(pool: Pool, job: str, slot: datetime, result: dict[str, Any]) -> None:
    async with privileged_session(pool) as conn:
        await conn.execute(
            "update app_private.job_runs set finished_at = now(), result = %(result)s"
            " where job = %(job)s and slot = %(slot)s",
            {"job": job, "slot": slot, "result": Jsonb(result)},
        )


async def release(pool: Pool, job: str, slot: datetime) -> None:
    """A run that failed gives its slot back, so the next Beat tick can try again."""
    async with privileged_session(pool) as conn:
        await conn.execute(
            "delete from app_private.job_runs where job = %(job)s and slot = %(slot)s and finished_at is null",
            {"job": job, "slot": slot},
        )


async def last_finished_start(pool: Pool, job: str) -> datetime | None:
    """When the job's latest completed run began: what it saw is what changed before then."""
    async with privileged_session(pool) as conn:
        cur = await conn.execute(
            "select max(started_at) as at from app_private.job_runs"
            " where job = %(job)s and finished_at is not null",
            {"job": job},
        )
        row = await cur.fetchone()
    return row["at"] if row else None
