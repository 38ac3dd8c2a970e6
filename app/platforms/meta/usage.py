"""How long Meta wants us to wait: Retry-After, and the usage headers' estimate (in minutes)."""

from __future__ import annotations

import contextlib
import json
from typing import Any


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def wait_hint_s(headers: dict[str, str]) -> float | None:
    waits: list[float] = []
    retry_after = headers.get("retry-after")
    if retry_after:
        with contextlib.suppress(ValueError):
            waits.append(float(retry_after))
    business = _json(headers.get("x-business-use-case-usage"))
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                minutes = (
                    entry.get("estimated_time_to_regain_access")
                    if isinstance(entry, dict)
                    else None
                )
                if isinstance(minutes, int | float) and minutes > 0:
                    waits.append(float(minutes) * 60)
    return max(waits) if waits else None


def usage_percent(headers: dict[str, str]) -> float:
    """The highest usage percentage Meta reports (100 means throttling may begin)."""
    highest = 0.0
    app = _json(headers.get("x-app-usage"))
    if isinstance(app, dict):
        highest = max([highest, *(float(v) for v in app.values() if isinstance(v, int | float))])
    business = _json(headers.get("x-business-use-case-usage"))
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    for key in ("call_count", "total_cputime", "total_time"):
                        if isinstance(entry.get(key), int | float):
                            highest = max(highest, float(entry[key]))
    return highest
