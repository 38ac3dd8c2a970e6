"""The order routers are included in (app/main.py) is chosen for speed: the busiest first. That
is only safe while no request can match routes of two different routers, so the order never
decides which endpoint answers. This walks every route with sample values for its parameters."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

_SAMPLES = {
    "uuid": "0b8f7a2e-0000-4000-8000-000000000001",
    "int": "1",
    "float": "1.5",
    "path": "a/b",
    "str": "sample",
}


def _routers(app: FastAPI) -> list[list[Any]]:
    groups = []
    for entry in app.router.routes:
        original = getattr(entry, "original_router", None)
        routes = original.routes if original is not None else [entry]
        groups.append([r for r in routes if hasattr(r, "path_regex")])
    return groups


def _sample_path(path: str) -> str:
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: _SAMPLES[m.group(2) or "str"], path)


def test_no_request_matches_routes_of_two_routers(app: FastAPI) -> None:
    groups = _routers(app)
    assert sum(len(g) for g in groups) > 100, "every router's routes were found"
    clashes = []
    for i, group in enumerate(groups):
        for route in group:
            path, methods = _sample_path(route.path), getattr(route, "methods", None) or {"GET"}
            for j, other in enumerate(groups):
                if j == i:
                    continue
                for candidate in other:
                    other_methods = getattr(candidate, "methods", None) or {"GET"}
                    if candidate.path_regex.match(path) and methods & other_methods:
                        clashes.append((route.path, candidate.path))
    assert clashes == []
