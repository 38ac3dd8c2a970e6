"""The API at a real shop's volume: 20 workspaces, each with 5,000 conversations, 100,000
messages, 2,000 escalations, 50,000 outbound messages, 5,000 comments and 500 FAQ entries, one
API process, 8 and 32 concurrent clients spread over the workspaces.

Reports p50/p95/p99 and requests/s per endpoint (`endpoints.<name>.c8` and `.c32`), with
`GET /health` as the floor in the same run, and how long the analytics roll-up takes over that
volume: a full pass (`rollup_full_s`) and a regular run after some new messages (`rollup_s`,
incremental: only the workspaces that changed). Targets: every list and detail p95 <= 200 ms at
32 clients, the preview <= 300 ms at 8, the roll-up under 2 s.

BENCH_API_SCALE (default 1) shrinks the volume for a quick look."""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from bench.loadgen import Connection, percentile
from bench.pipeline import _api
from bench.stack import embedded_stack, free_port

WORKSPACES = 20
SCALE = float(os.environ.get("BENCH_API_SCALE", "1"))
PER_WORKSPACE = {
    "conversations": int(5000 * SCALE),
    "messages": int(100_000 * SCALE),
    "escalations": int(2000 * SCALE),
    "outbound": int(50_000 * SCALE),
    "comments": int(5000 * SCALE),
    "faq": 500,
}
REQUESTS = {8: 400, 32: 960}
LIST_TARGET_MS = 200.0
PREVIEW_TARGET_MS = 300.0
ROLLUP_TARGET_S = 2.0

_FILL = """
with ws as (select %(ws)s::uuid as id, %(account)s::uuid as account)
insert into contacts (workspace_id, social_account_id, platform, external_id, username, display_name)
select ws.id, ws.account, 'instagram', 'c' || g, 'customer_' || g, 'Customer ' || g
  from ws, generate_series(1, %(conversations)s) g;

insert into conversations (workspace_id, social_account_id, contact_id, channel, owner,
                           last_inbound_at, last_outbound_at, updated_at, staff_read_at)
select %(ws)s, %(account)s, c.id, 'instagram_dm',
       case when n %% 10 = 0 then 'human' else 'bot' end,
       now() - n * interval '17 minutes', now() - n * interval '17 minutes' + interval '20 seconds',
       now() - n * interval '17 minutes', case when n %% 3 = 0 then now() end
  from (select id, row_number() over (order by external_id) as n
          from contacts where workspace_id = %(ws)s) c;

create temporary table convs on commit drop as
select id, row_number() over (order by updated_at desc) - 1 as n
  from conversations where workspace_id = %(ws)s;
create index on convs (n);

insert into messages (workspace_id, conversation_id, direction, sender, platform_message_id, text, sent_at)
select %(ws)s, convs.id, case when g %% 2 = 0 then 'inbound' else 'outbound' end,
       case when g %% 2 = 0 then 'contact' else 'bot' end, 'm' || g,
       'Message number ' || g || ' about opening hours and prices', now() - g * interval '77 seconds'
  from generate_series(0, %(messages)s - 1) g join convs on convs.n = g %% %(conversations)s;

insert into escalations (workspace_id, conversation_id, reason, draft_reply, status, created_at)
select %(ws)s, convs.id, 'asked for a refund', 'We are sorry, a person will help.',
       case when convs.n %% 5 = 0 then 'open' else 'resolved' end,
       now() - convs.n * interval '40 minutes'
  from convs where convs.n < %(escalations)s;

insert into outbound_messages (workspace_id, conversation_id, social_account_id, idempotency_key, kind,
                               recipient, payload, status, sender, sent_at, created_at, last_error)
select %(ws)s::uuid, convs.id, %(account)s, 'k' || %(ws)s::text || '-' || g, 'dm', 'c' || g,
       jsonb_build_object('text', 'Reply number ' || g),
       case when g %% 100 = 0 then 'dead' else 'sent' end, 'bot',
       now() - g * interval '150 seconds', now() - g * interval '150 seconds',
       case when g %% 100 = 0 then 'Invalid parameter' end
  from generate_series(0, %(outbound)s - 1) g join convs on convs.n = g %% %(conversations)s;

insert into comments (workspace_id, social_account_id, platform_comment_id, platform_media_id,
                      from_id, from_username, text, commented_at)
select %(ws)s, %(account)s, 'k' || g, 'media' || (g %% 50), 'c' || g, 'customer_' || g,
       'Love this! How much is it?', now() - g * interval '30 minutes'
  from generate_series(1, %(comments)s) g;

insert into faq (workspace_id, question, answer, created_at)
select %(ws)s, 'Question number ' || g || ' about our shop?', 'Answer number ' || g || '.',
       now() - g * interval '1 minute'
  from generate_series(1, %(faq)s) g;
"""


async def _users(api: str, count: int) -> list[dict[str, str]]:
    """An owner and a workspace each, through the API as a shop would."""
    users = []
    async with httpx.AsyncClient(base_url=api, timeout=60) as http:
        for n in range(count):
            registered = await http.post(
                "/api/auth/register",
                json={"email": f"bench-{n}@shop.example", "password": "correct horse battery"},
            )
            registered.raise_for_status()
            token = registered.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            created = await http.post(
                "/api/workspaces", json={"name": f"Shop {n}"}, headers=headers
            )
            created.raise_for_status()
            users.append({"token": token, "ws": created.json()["id"]})
        # the preview's workspace answers from its FAQ like a real shop's
        first = {"Authorization": f"Bearer {users[0]['token']}", "X-Workspace-Id": users[0]["ws"]}
        for question, answer in (
            ("When do you open?", "We open at 8 am, Monday to Saturday."),
            ("Do you deliver?", "Yes, within 10 km, free over $30."),
            ("Can I pay by card?", "Cards, Apple Pay and cash are all fine."),
        ):
            faq = await http.post(
                "/api/kb/faq", json={"question": question, "answer": answer}, headers=first
            )
            faq.raise_for_status()
    return users


def _fill(admin_url: str, users: list[dict[str, str]]) -> dict[str, list[str]]:
    """The volume, written by Postgres itself; ids to ask for in detail requests."""
    ids: dict[str, list[str]] = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for n, user in enumerate(users):
            account = conn.execute(
                "insert into social_accounts (workspace_id, platform, external_id)"
                " values (%s, 'instagram', %s) returning id",
                (user["ws"], f"1784{n:011d}"),
            ).fetchone()
            assert account is not None
            with conn.transaction():
                params = {"ws": user["ws"], "account": account[0], **PER_WORKSPACE}
                for statement in _FILL.split(";"):
                    if statement.strip():
                        conn.execute(statement, params)
            ids[user["ws"] + ":conversation"] = [
                str(r[0])
                for r in conn.execute(
                    "select id from conversations where workspace_id = %s limit 200", (user["ws"],)
                )
            ]
            ids[user["ws"] + ":escalation"] = [
                str(r[0])
                for r in conn.execute(
                    "select id from escalations where workspace_id = %s limit 200", (user["ws"],)
                )
            ]
        conn.execute("vacuum analyze")
    return ids


def _raw(host: str, port: int, method: str, path: str, user: dict[str, str], body: bytes) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Authorization: Bearer {user['token']}",
        f"X-Workspace-Id: {user['ws']}",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body


def _endpoints(ids: dict[str, list[str]]) -> dict[str, Any]:
    """name -> (method, path for a workspace, body): lists, details and the preview."""
    pick = random.Random(7)

    def detail(kind: str, prefix: str) -> Any:
        return lambda ws: f"{prefix}/{pick.choice(ids[ws + ':' + kind])}"

    return {
        "health": ("GET", lambda ws: "/health", b""),
        "conversations": ("GET", lambda ws: "/api/conversations?limit=50", b""),
        "conversations_waiting": (
            "GET",
            lambda ws: "/api/conversations?sort=longest_waiting&unread=true&limit=50",
            b"",
        ),
        "conversation": ("GET", detail("conversation", "/api/conversations"), b""),
        "escalations": ("GET", lambda ws: "/api/escalations?status=open&limit=50", b""),
        "escalations_waiting": (
            "GET",
            lambda ws: "/api/escalations?status=open&sort=longest_waiting&limit=50",
            b"",
        ),
        "escalation": ("GET", detail("escalation", "/api/escalations"), b""),
        "outbound": ("GET", lambda ws: "/api/outbound?limit=50", b""),
        "outbound_dead": ("GET", lambda ws: "/api/outbound?status=dead&limit=50", b""),
        "comments": ("GET", lambda ws: "/api/comments?limit=50", b""),
        "faq": ("GET", lambda ws: "/api/kb/faq?limit=50", b""),
        "audit_log": ("GET", lambda ws: "/api/audit-log?limit=50", b""),
        "analytics_overview": ("GET", lambda ws: "/api/analytics/overview", b""),
        "preview": (
            "POST",
            lambda ws: "/api/agent/preview",
            json.dumps({"text": "hey! when do you guys open?"}).encode(),
        ),
    }


async def _measure(
    api: str, users: list[dict[str, str]], method: str, path: Any, body: bytes, clients: int
) -> dict[str, Any]:
    url = urlsplit(api)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    # the preview runs in one workspace (the one with a knowledge base); the rest spread out
    chosen = users[:1] if method == "POST" else users
    total = REQUESTS[clients] if method == "GET" else REQUESTS[8] // 2
    requests = [
        _raw(host, port, method, path(user["ws"]), user, body)
        for user in (chosen[n % len(chosen)] for n in range(total))
    ]
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(clients):
        pool.put_nowait(Connection(host, port))
    latencies: list[float] = []
    errors = 0

    async def one(raw: bytes) -> None:
        nonlocal errors
        connection = await pool.get()
        started = time.perf_counter()
        try:
            if await connection.request(raw) != 200:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            connection.close()
            errors += 1
        latencies.append((time.perf_counter() - started) * 1000)
        pool.put_nowait(connection)

    # a short warm-up: connections open, caches filled
    await asyncio.gather(*(one(raw) for raw in requests[: clients * 2]))
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(one(raw) for raw in requests))
    elapsed = time.perf_counter() - started
    while not pool.empty():
        pool.get_nowait().close()
    return {
        "requests": len(requests),
        "errors": errors,
        "requests_per_s": round(len(requests) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
    }


def _rollup(env: dict[str, str], admin_url: str, users: list[dict[str, str]]) -> dict[str, float]:
    """A full pass over the volume, then Beat's next run after a few workspaces got messages."""
    from app.analytics.rollup import roll_up_analytics
    from app.config import Settings
    from app.db.pool import create_pool

    async def go() -> dict[str, float]:
        pool = create_pool(Settings(), env["DATABASE_URL"])
        await pool.open()
        try:
            started = time.perf_counter()
            await roll_up_analytics(pool, days=2)
            full = time.perf_counter() - started
            since = datetime.now(UTC) - timedelta(seconds=1)
            with psycopg.connect(admin_url, autocommit=True) as conn:
                for user in users[:3]:
                    conn.execute(
                        "update conversations set updated_at = now(), last_inbound_at = now()"
                        " where id = (select id from conversations where workspace_id = %s limit 1)",
                        (user["ws"],),
                    )
            started = time.perf_counter()
            changed = await roll_up_analytics(pool, days=2, since=since)
            incremental = time.perf_counter() - started
        finally:
            await pool.close()
        return {
            "rollup_full_s": round(full, 2),
            "rollup_s": round(incremental, 2),
            "rollup_workspaces": changed["workspaces"],
        }

    return asyncio.run(go())


def run() -> dict[str, Any]:
    with embedded_stack() as stack:
        env = {
            **stack.env,
            "RATE_LIMIT_DEFAULT": "100000000/minute",
            "RATE_LIMIT_AUTH": "100000/minute",
        }
        port = free_port()
        with _api(env, port) as api:
            users = asyncio.run(_users(api, WORKSPACES))
            started = time.perf_counter()
            ids = _fill(stack.admin_url, users)
            fill_s = time.perf_counter() - started
            endpoints = _endpoints(ids)
            results: dict[str, Any] = {}
            for name, (method, path, body) in endpoints.items():
                levels = (8,) if method == "POST" else (8, 32)
                results[name] = {
                    f"c{clients}": asyncio.run(_measure(api, users, method, path, body, clients))
                    for clients in levels
                }
        rollup = _rollup(env, stack.admin_url, users)
    lists = {k: v for k, v in results.items() if k not in ("health", "preview")}
    slowest = max(lists, key=lambda k: lists[k]["c32"]["p95_ms"])
    health_p95 = results["health"]["c32"]["p95_ms"]
    return {
        "benchmark": "api",
        "volume": {"workspaces": WORKSPACES, **PER_WORKSPACE, "fill_s": round(fill_s, 1)},
        "endpoints": results,
        **rollup,
        "slowest_list": slowest,
        "slowest_list_p95_ms_c32": lists[slowest]["c32"]["p95_ms"],
        "slowest_vs_health_p95": round(lists[slowest]["c32"]["p95_ms"] / max(health_p95, 0.1), 1),
        "targets": {
            "lists_p95_ms_c32": LIST_TARGET_MS,
            "preview_p95_ms_c8": PREVIEW_TARGET_MS,
            "rollup_s": ROLLUP_TARGET_S,
            "lists_met": all(v["c32"]["p95_ms"] <= LIST_TARGET_MS for v in lists.values()),
            "preview_met": results["preview"]["c8"]["p95_ms"] <= PREVIEW_TARGET_MS,
            "rollup_met": rollup["rollup_s"] <= ROLLUP_TARGET_S,
        },
        "errors": sum(level["errors"] for r in results.values() for level in r.values()),
    }
