"""Throwaway embedded servers and server processes for a benchmark run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.db.bootstrap import prepare_embedded_database
from app.runtime.embedded_postgres import EmbeddedPostgres
from app.runtime.embedded_valkey import create_valkey

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    admin_url: str
    app_url: str
    redis_url: str
    env: dict[str, str]


@contextmanager
def embedded_stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="socialsync-bench-"))
    pg = EmbeddedPostgres(root / "pg", free_port())
    pg.start()
    valkey = create_valkey(root / "valkey", free_port())
    valkey.start()
    try:
        admin_url, app_url = prepare_embedded_database(pg.superuser_url(), pg.host, pg.port)
        env = {
            **os.environ,
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": admin_url,
            "REDIS_URL": valkey.connection_url,
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": str(root / "data"),
            "DB_POOL_MAX_SIZE": "20",
        }
        yield Stack(admin_url, app_url, valkey.connection_url, env)
    finally:
        valkey.stop()
        pg.stop(mode="immediate")


@contextmanager
def uvicorn_process(target: str, env: dict[str, str], *, factory: bool = True) -> Iterator[str]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        args.append("--factory")
    proc = subprocess.Popen(args, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def wait_for_worker(
    broker_url: str, worker: subprocess.Popen[bytes], timeout_s: float = 180
) -> None:
    """Until the Celery worker answers a ping (its models are loaded at worker_init, before it
    consumes): start-up is not part of a measurement, and a fixed sleep is too short on a slow
    machine and wasted on a quick one."""
    from celery import Celery

    probe = Celery(broker=broker_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.returncode} while starting")
            if probe.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"the worker did not answer a ping within {timeout_s:.0f} s")
    finally:
        probe.close()
