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

from tests.support.processes import wait_for
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


def _stack_env(tmp_path: Path) -> dict[str, str]:
    """`make run` as on a fresh machine: embedded servers on free ports, data under tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MIGRATION_DATABASE_URL")
    }
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "API_PORT": str(free_port()),
            "SANDBOX_PORT": str(free_port()),
            "EMBEDDED_POSTGRES_PORT": str(free_port()),
            "EMBEDDED_REDIS_PORT": str(free_port()),
            "ENVIRONMENT": "development",
        }
    )
    return env


def test_run_twice_keeps_data(tmp_path) -> None:
    env = _stack_env(tmp_path)
    url = f"http://127.0.0.1:{env['API_PORT']}"
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
                httpx.get(f"{url}/api/workspaces", headers=headers).json()["items"][0]["id"]
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


def _children(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in out.splitlines()}


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False  # the API answers slowly while Valkey comes back


def test_a_crashed_worker_or_valkey_is_restarted_and_replies_go_on(tmp_path) -> None:
    env = _stack_env(tmp_path)
    url = f"http://127.0.0.1:{env['API_PORT']}"
    sandbox = f"http://127.0.0.1:{env['SANDBOX_PORT']}"
    log = tmp_path / "run.log"
    proc = _start(env, log)

    def answered(customer: str) -> bool:
        outbox = httpx.get(f"{sandbox}/_sandbox/outbox", timeout=5).json()
        return any(o["recipient"] == customer for o in outbox)

    def dm(customer: str) -> None:
        event = {
            "platform": "instagram",
            "kind": "dm",
            "account_id": "17841400000000001",
            "from": customer,
            "text": "what are your opening hours?",
        }
        assert httpx.post(f"{sandbox}/_sandbox/inbound", json=event, timeout=30).status_code == 200

    try:
        _wait_ready(url, proc)
        dm("before-crash")
        wait_for(lambda: answered("before-crash"), 90)
        [worker] = [pid for pid, args in _children(proc.pid).items() if " worker -Q" in args]
        os.killpg(worker, signal.SIGKILL)
        wait_for(lambda: "worker restarted" in log.read_text(), 90)
        assert proc.poll() is None, "the stack kept running"
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
        dm("after-worker-crash")
        wait_for(lambda: answered("after-worker-crash"), 90)

        children = _children(proc.pid)
        valkeys = [pid for pid, args in children.items() if "valkey-server" in args]
        assert len(valkeys) == 1, children
        [valkey] = valkeys
        os.kill(valkey, signal.SIGKILL)
        wait_for(lambda: "valkey restarted" in log.read_text(), 90)
        wait_for(lambda: _ready(url), 90)
        dm("after-valkey-crash")
        wait_for(lambda: answered("after-valkey-crash"), 90)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
