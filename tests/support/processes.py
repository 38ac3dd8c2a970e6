"""Celery worker and Beat as real child processes (what `make run` starts), for the tests that
kill, stop or duplicate them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", *args],
            env={**os.environ, **env},
            cwd=ROOT,
            # its own process group: SIGKILL reaches the prefork children too
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_worker(
    env: dict[str, str], log: Path, *, pool: str = "prefork", concurrency: int = 1
) -> subprocess.Popen[bytes]:
    return _spawn(
        [
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "-Q",
            "high,default,low",
            "--loglevel",
            "WARNING",
        ],
        env,
        log,
    )


def start_beat(env: dict[str, str], log: Path, schedule: Path) -> subprocess.Popen[bytes]:
    return _spawn(["beat", "--loglevel", "WARNING", "--schedule", str(schedule)], env, log)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole group: no shutdown handler, no ack, no rollback but the database's own."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill(process)


def wait_for(
    check: Callable[[], Any], timeout: float, state: Callable[[], Any] = lambda: None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"condition not met in {timeout} s; state: {state()}")


async def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll an async (or plain) condition from async test code until it holds."""
    import asyncio
    import inspect

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        await asyncio.sleep(0.2)
