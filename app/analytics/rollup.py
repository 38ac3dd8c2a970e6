"""Beat: roll the inbox, the agent's decisions and the outbox up into `analytics_daily`.

Recomputed from the source rows for the last few days (late events and retries change them),
replacing those days in one transaction, so running it twice gives the same numbers. Each run
after the first recomputes only the workspaces that changed since the previous run began; a
full pass runs when there was no previous run (or it is older than a day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.analytics import repo
from app.db.session import Pool, privileged_session
from app.maintenance import job_runs

ROLLUP_JOB = "roll_up_analytics"

# a transaction that began before the previous run but committed after it wrote an older
# updated_at than that run's start: looking this far back catches it
_COMMIT_MARGIN = timedelta(minutes=5)
_FULL_PASS_AFTER = timedelta(days=1)


async def rollup_watermark(pool: Pool) -> datetime | None:
    """Since when the next run looks for changes; None for a full pass (no previous run, or
    one too long ago to trust)."""
    previous = await job_runs.last_finished_start(pool, ROLLUP_JOB)
    if previous is None or datetime.now(UTC) - previous > _FULL_PASS_AFTER:
        return None
    return previous - _COMMIT_MARGIN


async def roll_up_analytics(
    pool: Pool, *, days: int, since: datetime | None = None
) -> dict[str, int]:
    """Recompute the last `days` days (and today): for every workspace, or with `since` only
    for those with changes after it (a day nobody touched keeps its rows). Rows written and
    workspaces recomputed."""
    async with privileged_session(pool) as conn:
        workspaces: list[UUID] | None = None
        if since is not None:
            workspaces = await repo.changed_workspaces(conn, since=since)
            if not workspaces:
                return {"rows": 0, "workspaces": 0}
        rows = await repo.replace_days(conn, days=days, workspaces=workspaces)
        return {"rows": rows, "workspaces": -1 if workspaces is None else len(workspaces)}
