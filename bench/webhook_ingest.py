"""Webhook ingest: our endpoint (verify signature, durable insert, enqueue) against a bare
FastAPI endpoint, both on one uvicorn process, loaded from a second process on loopback.

Two phases per endpoint: closed loop (max requests/s, for the ratio) and open loop at 500
requests/s (latency at the target rate). Afterwards the database is counted: every event that
got a 200 must be stored exactly once and enqueued once."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import uuid
from typing import Any

import psycopg
import redis

from bench.stack import ROOT, embedded_stack, uvicorn_process

TARGET_RATE = 500
ROUNDS = 3
CLOSED_REQUESTS = 3000
OPEN_REQUESTS = 5000  # 10 s at 500/s
# Meta delivers webhooks concurrently; the same client settings are used for both endpoints
CONCURRENCY = 64
SECRET = "bench-app-secret"  # noqa: S105


def _load(url: str, account: str, run: str, *, requests: int, rate: float = 0.0) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--url",
            url,
            "--account",
            account,
            "--secret",
            SECRET,
            "--run",
            run,
            "--requests",
            str(requests),
            "--concurrency",
            str(CONCURRENCY),
            "--rate",
            str(rate),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def run() -> dict[str, Any]:
    with embedded_stack() as stack:
        account = str(uuid.uuid4().int)[:17]
        with psycopg.connect(stack.admin_url, autocommit=True) as conn:
            ws = conn.execute(
                "insert into workspaces (name) values ('bench') returning id"
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s)",
                (ws, account),
            )
        env = {**stack.env, "META_APP_SECRET": SECRET}
        sent_mids: list[str] = []
        closed: dict[str, list[dict[str, Any]]] = {"bare": [], "ours": []}
        opened: dict[str, dict[str, Any]] = {}
        with (
            uvicorn_process("bench.bare_app:create_bare_app", env) as bare_url,
            uvicorn_process("app.main:create_app", env) as ours_url,
        ):
            urls = {
                "bare": f"{bare_url}/webhooks/instagram",
                "ours": f"{ours_url}/webhooks/instagram",
            }
            # alternate the endpoints round by round, so drift on a noisy machine hits both alike
            for round_no in range(ROUNDS):
                for name in ("bare", "ours"):
                    result = _load(
                        urls[name],
                        account,
                        f"{name}c{round_no}{uuid.uuid4().hex[:6]}",
                        requests=CLOSED_REQUESTS,
                    )
                    if name == "ours":
                        sent_mids += result["ok_mids"]
                    closed[name].append(result)
            for name in ("bare", "ours"):
                result = _load(
                    urls[name],
                    account,
                    f"{name}o{uuid.uuid4().hex[:6]}",
                    requests=OPEN_REQUESTS,
                    rate=TARGET_RATE,
                )
                if name == "ours":
                    sent_mids += result["ok_mids"]
                opened[name] = result
        with psycopg.connect(stack.admin_url) as conn:
            rows = conn.execute(
                "select payload->>'platform_id' as mid, count(*) from webhook_events where account_external_id = %s group by 1",
                (account,),
            ).fetchall()
        stored = {mid: n for mid, n in rows}
        queued = sum(
            redis.Redis.from_url(stack.redis_url).llen(q) for q in ("high", "default", "low")
        )

    def summary(name: str) -> dict[str, Any]:
        rates = [r["requests_per_s"] for r in closed[name]]
        at_rate = opened[name]
        return {
            "requests_per_s": statistics.median(rates),
            "p50_ms": at_rate["p50_ms"],
            "p95_ms": at_rate["p95_ms"],
            "p99_ms": at_rate["p99_ms"],
            "errors": sum(r["errors"] for r in closed[name]) + at_rate["errors"],
            "rounds_requests_per_s": rates,
            "closed_loop_p99_ms": statistics.median(r["p99_ms"] for r in closed[name]),
            "at_rate": {
                "target_requests_per_s": TARGET_RATE,
                "achieved_requests_per_s": at_rate["requests_per_s"],
                "requests": at_rate["requests"],
            },
        }

    ours, bare = summary("ours"), summary("bare")
    lost = sum(1 for mid in sent_mids if mid not in stored)
    duplicates = sum(n - 1 for n in stored.values() if n > 1) + max(0, queued - len(stored))
    return {
        "benchmark": "webhook_ingest",
        "ours": ours,
        "bare": bare,
        "ratio": round(ours["requests_per_s"] / bare["requests_per_s"], 3),
        "ratio_per_round": [
            round(o["requests_per_s"] / b["requests_per_s"], 3)
            for o, b in zip(closed["ours"], closed["bare"], strict=True)
        ],
        "lost": lost,
        "duplicates": duplicates,
        "stored": len(stored),
        "enqueued": queued,
        "notes": f"one uvicorn process each; load from a second process (raw HTTP/1.1 keep-alive, {CONCURRENCY} "
        f"connections); requests_per_s is the median of {ROUNDS} alternating closed-loop rounds; "
        f"p50/p95/p99 from the open-loop phase at {TARGET_RATE} requests/s; LOG_LEVEL=WARNING",
    }
