"""Publishing at scale: posts due within one minute across 10 accounts, published by a real
Celery worker on Beat's schedule (default settings) against the sandbox, which downloads every
image as Meta does and injects transient failures (5xx) at random steps.

Reports how many were published, duplicated (a post's caption published more than once) or
failed, lateness from `publish_at` to published (p50, p95) and the CPU seconds Beat and the
worker spent. The baseline, in the same run: fewer posts and no faults."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from app.security.crypto import encrypt_secret
from bench.pipeline import _api, _cpu_seconds, _sandbox
from bench.stack import ROOT, embedded_stack, free_port, wait_for_worker

POSTS = 500
BASELINE_POSTS = 100
ACCOUNTS = 10
FAULT_RATE = 0.05
DUE_WITHIN_S = 60
TIMEOUT_S = 900
STEPS = ("create_container", "container_status", "publish", "publishing_limit")


def _celery(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            *args,
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=ROOT,
    )


def _schedule(admin_url: str, sandbox: str, run: str, count: int) -> datetime:
    """`count` image posts spread over the next minute, round-robin over the accounts."""
    start = datetime.now(UTC) + timedelta(seconds=20)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        ws = conn.execute(
            "insert into workspaces (name) values (%s) returning id", (run,)
        ).fetchone()[0]  # type: ignore[index]
        accounts = [
            conn.execute(
                "insert into social_accounts (workspace_id, platform, external_id,"
                " access_token_encrypted) values (%s, 'instagram', %s, %s) returning id",
                (ws, f"{run}{n:03d}", encrypt_secret("sandbox-token")),
            ).fetchone()[0]  # type: ignore[index]
            for n in range(ACCOUNTS)
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into scheduled_posts (workspace_id, social_account_id, media_type,"
                " media_urls, caption, publish_at) values (%s, %s, 'IMAGE', %s, %s, %s)",
                [
                    (
                        ws,
                        accounts[n % ACCOUNTS],
                        Jsonb([f"{sandbox}/_sandbox/samples/square.jpg"]),
                        f"{run} post {n}",
                        start + timedelta(seconds=DUE_WITHIN_S * n / count),
                    )
                    for n in range(count)
                ],
            )
    return start


def _outcome(admin_url: str, sandbox: str, run: str, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        with psycopg.connect(admin_url) as conn:
            rows = conn.execute(
                "select status, extract(epoch from published_at - publish_at) as late"
                " from scheduled_posts where caption like %s",
                (f"{run} post %",),
            ).fetchall()
        done = [r for r in rows if r[0] in ("published", "failed")]
        if len(done) == count:
            break
        time.sleep(2)
    published = [float(r[1]) for r in rows if r[0] == "published"]
    outbox = httpx.get(f"{sandbox}/_sandbox/outbox", timeout=30).json()
    caption_of = {
        o.get("container_id"): o.get("text") for o in outbox if o["endpoint"] == "create_container"
    }
    captions = Counter(
        caption_of.get(o.get("container_id"))
        for o in outbox
        if o["endpoint"] == "publish" and str(caption_of.get(o.get("container_id"))).startswith(run)
    )
    quantiles = statistics.quantiles(published, n=20) if len(published) >= 2 else [0.0] * 19
    return {
        "posts": count,
        "published": len(published),
        "failed": sum(1 for r in rows if r[0] == "failed"),
        "unfinished": sum(1 for r in rows if r[0] not in ("published", "failed")),
        "duplicates": sum(n - 1 for n in captions.values() if n > 1),
        "lateness_p50_s": round(statistics.median(published), 1) if published else None,
        "lateness_p95_s": round(quantiles[18], 1),
        "lateness_max_s": round(max(published), 1) if published else None,
    }


def _phase(
    env: dict[str, str], admin_url: str, sandbox: str, count: int, faults: bool
) -> dict[str, Any]:
    run = f"p{uuid.uuid4().hex[:6]}"
    httpx.delete(f"{sandbox}/_sandbox/faults")
    if faults:
        for step in STEPS:
            httpx.post(
                f"{sandbox}/_sandbox/faults",
                json={
                    "endpoint": step,
                    "kind": "server_error",
                    "probability": FAULT_RATE,
                    "match": run,
                    "count": 10_000,
                },
            ).raise_for_status()
    worker = _celery(
        env, "worker", "-Q", "high,default,low", "--without-mingle", "--without-gossip"
    )
    beat = _celery(env, "beat", "--schedule", f"/tmp/{run}-beat")  # noqa: S108 - a throwaway schedule
    try:
        wait_for_worker(env["REDIS_URL"], worker)
        cpu_before = _cpu_seconds(worker.pid), _cpu_seconds(beat.pid)
        _schedule(admin_url, sandbox, run, count)
        result = _outcome(admin_url, sandbox, run, count)
        result["worker_cpu_s"] = round(_cpu_seconds(worker.pid) - cpu_before[0], 1)
        result["beat_cpu_s"] = round(_cpu_seconds(beat.pid) - cpu_before[1], 1)
    finally:
        for proc in (beat, worker):
            proc.terminate()
            proc.wait(timeout=60)
    httpx.delete(f"{sandbox}/_sandbox/faults")
    return result


def run() -> dict[str, Any]:
    with embedded_stack() as stack, ExitStack() as procs:
        api_port, sandbox_port = free_port(), free_port()
        env = {
            **stack.env,
            "API_PORT": str(api_port),
            "SANDBOX_PORT": str(sandbox_port),
            "SANDBOX_BOT_URL": f"http://127.0.0.1:{api_port}",
            # the rest of Beat's jobs stay out of the way
            "RECONCILE_INTERVAL_S": "3600",
            "TOKEN_REFRESH_INTERVAL_S": "3600",
        }
        procs.enter_context(_api(env, api_port))
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        procs.enter_context(_sandbox(env, sandbox_port))
        httpx.post(
            f"{sandbox}/_sandbox/config", json={"publishing_quota": 100_000}
        ).raise_for_status()
        baseline = _phase(env, stack.admin_url, sandbox, BASELINE_POSTS, faults=False)
        loaded = _phase(env, stack.admin_url, sandbox, POSTS, faults=True)
    return {
        "setup": {
            "accounts": ACCOUNTS,
            "due_within_s": DUE_WITHIN_S,
            "fault_rate": FAULT_RATE,
            "publish_interval_s": 30,
            "note": "default settings; one worker process and one Beat; lateness from publish_at",
        },
        "baseline": baseline,
        **loaded,
        "lateness_p95_vs_baseline": (
            round(loaded["lateness_p95_s"] / baseline["lateness_p95_s"], 2)
            if baseline["lateness_p95_s"]
            else None
        ),
    }
