"""`make run`'s supervisor as a user runs it: everything up with /ready green, Ctrl-C stops it
cleanly, and a second run finds the data of the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, "the stack exited before it was ready"
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("not ready in time")


def test_run_twice_keeps_data(tmp_path) -> None:
    api_port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MIGRATION_DATABASE_URL")
    }
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "API_PORT": str(api_port),
            "SANDBOX_PORT": str(free_port()),
            "EMBEDDED_POSTGRES_PORT": str(free_port()),
            "EMBEDDED_REDIS_PORT": str(free_port()),
            "ENVIRONMENT": "development",
        }
    )
    url = f"http://127.0.0.1:{api_port}"
    log = tmp_path / "run.log"
    workspace_ids = []
    for _ in range(2):
        proc = _start(env, log)
        try:
            _wait_ready(url, proc)
            login = httpx.post(
                f"{url}/api/auth/login",
                json={"email": "demo@socialsync.local", "password": "demo-password"},
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            workspace_ids.append(
                httpx.get(f"{url}/api/workspaces", headers=headers).json()[0]["id"]
            )
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
    assert workspace_ids[0] == workspace_ids[1]
    assert "stopped" in log.read_text()
    # nothing is left listening after Ctrl-C
    try:
        httpx.get(f"{url}/health", timeout=1)
        raise AssertionError("API still up")
    except httpx.ConnectError:
        pass
