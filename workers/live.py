"""Telling the staff's live screens (app/live/events.py) from a task, after its work is done,
without waiting for it: a screen that misses a note catches up on its next refresh, and a task
that waited for each one handed its thread to the loop and back twice more per reply."""

from __future__ import annotations

from typing import Any

from app.config import get_settings
from app.live import events
from workers import runtime


def notify(workspace_id: str, kind: str, data: dict[str, Any]) -> None:
    kept = get_settings().live_events_kept
    runtime.start_in_background(
        lambda r: events.emit(r.redis, workspace_id, kind, data, kept=kept),
        name="live event",
        bounded=False,
    )
