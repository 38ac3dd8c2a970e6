"""Crashes under load: `make run`'s whole stack (its supervisor, the embedded Postgres and Valkey,
API, sandbox, one worker, Beat) while customers write steadily, and processes are killed.

Phases, one after the other, each with its own customers:
- `worker_kill`: the worker is SIGKILLed again and again, 5-10 s after each restart is ready;
- `broker_kill`: Valkey is SIGKILLed (the supervisor restarts it) while the worker is busy;
- `stalled_broker_worker_kill`: Valkey is frozen (SIGSTOP) for 20 s, the worker is SIGKILLed
  meanwhile, then Valkey goes on.
Then every customer must get exactly one reply. Per phase: the longest and the median time from
a customer's message to its reply (`max_delay_s`, `p50_delay_s`), how many got none (`lost`) or
more than one (`duplicates`), and where our database and what Meta received disagree
(`db_mismatches`: a recipient whose `sent` rows are not the number of messages the sandbox
recorded for it)."""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from app.runtime.embedded_postgres import SUPERUSER
from bench.stack import ROOT, free_port

ACCOUNT = "17841400000000001"  # the demo workspace's Instagram account (make run seeds it)
RATE_PER_S = 4.0
PHASE_S = 60.0
SETTLE_TIMEOUT_S = 240.0
KILL_EVERY_S = (5.0, 10.0)
STALL_S = 20.0


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    api: str
    sandbox: str
    admin_url: str
    log: Path

    def children(self) -> dict[int, str]:
        out = subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in out.splitlines()}

    def pid_of(self, marker: str) -> int | None:
        found = [pid for pid, args in self.children().items() if marker in args]
        return found[0] if found else None

    def workers_ready(self) -> int:
        return sum(
            1
            for line in self.log.read_text(errors="replace").splitlines()
            if "@" in line and line.endswith(" ready.")
        )


@contextmanager
def make_run() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="socialsync-chaos-"))
    ports = {
        name: str(free_port())
        for name in ("API_PORT", "SANDBOX_PORT", "EMBEDDED_POSTGRES_PORT", "EMBEDDED_REDIS_PORT")
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MIGRATION_DATABASE_URL", "OPENAI_API_KEY")
    }
    env.update(ports, DATA_DIR=str(root / "data"), ENVIRONMENT="development")
    log = root / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(
        process,
        f"http://127.0.0.1:{ports['API_PORT']}",
        f"http://127.0.0.1:{ports['SANDBOX_PORT']}",
        f"postgresql://{SUPERUSER}@127.0.0.1:{ports['EMBEDDED_POSTGRES_PORT']}/socialsync",
        log,
    )
    try:
        _wait(lambda: _ok(f"{stack.api}/ready") and stack.workers_ready() >= 1, 180, stack)
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(check: Callable[[], bool], timeout: float, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise RuntimeError(f"make run exited:\n{stack.log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError(f"not ready in {timeout} s:\n{stack.log.read_text()[-3000:]}")


@dataclass
class Load:
    """Distinct customers, each writing once, at a steady rate, from a thread of its own."""

    sandbox: str
    prefix: str
    sent: dict[str, float] = field(default_factory=dict)
    refused: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            n, started = 0, time.monotonic()
            while not self._stop.is_set():
                customer = f"{self.prefix}-{n}"
                try:
                    response = client.post(
                        f"{self.sandbox}/_sandbox/inbound",
                        json={
                            "platform": "instagram",
                            "kind": "dm",
                            "account_id": ACCOUNT,
                            "from": customer,
                            "text": "what are your opening hours?",
                        },
                    )
                    # the sandbox reports the status our webhook answered Meta with
                    if response.status_code == 200 and response.json().get("delivered") == [200]:
                        self.sent[customer] = time.time()
                    else:
                        self.refused += 1
                except httpx.HTTPError:
                    self.refused += 1
                n += 1
                self._stop.wait(max(0.0, started + n / RATE_PER_S - time.monotonic()))

    @contextmanager
    def running(self) -> Iterator[Load]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()


def _kill_workers_repeatedly(stack: Stack, until: float) -> int:
    kills = 0
    while time.monotonic() < until:
        ready = stack.workers_ready()
        time.sleep(random.uniform(*KILL_EVERY_S))
        pid = stack.pid_of(" worker -Q")
        if pid is None or time.monotonic() >= until:
            continue
        os.killpg(pid, signal.SIGKILL)
        kills += 1
        # the next kill comes 5-10 s after the restarted worker is ready
        _wait(lambda seen=ready: stack.workers_ready() > seen, 120, stack)
    return kills


def _kill_valkey(stack: Stack, until: float) -> int:
    time.sleep(PHASE_S / 3)
    pid = stack.pid_of("valkey-server")
    assert pid is not None, stack.children()
    os.kill(pid, signal.SIGKILL)
    time.sleep(max(0.0, until - time.monotonic()))
    return 1


def _kill_worker_while_valkey_stalls(stack: Stack, until: float) -> int:
    time.sleep(PHASE_S / 4)
    valkey = stack.pid_of("valkey-server")
    assert valkey is not None, stack.children()
    os.kill(valkey, signal.SIGSTOP)
    try:
        time.sleep(STALL_S / 2)
        worker = stack.pid_of(" worker -Q")
        assert worker is not None, stack.children()
        os.killpg(worker, signal.SIGKILL)
        time.sleep(STALL_S / 2)
    finally:
        os.kill(valkey, signal.SIGCONT)
    time.sleep(max(0.0, until - time.monotonic()))
    return 1


def _replies(sandbox: str, prefix: str) -> dict[str, list[float]]:
    got: dict[str, list[float]] = {}
    for item in httpx.get(f"{sandbox}/_sandbox/outbox", timeout=30).json():
        if item["endpoint"] == "send_message" and str(item["recipient"]).startswith(f"{prefix}-"):
            got.setdefault(item["recipient"], []).append(item["time"])
    return got


def _sent_rows(admin_url: str, prefix: str) -> Counter[str]:
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute(
            "select recipient from outbound_messages where status = 'sent' and recipient like %s",
            (f"{prefix}-%",),
        ).fetchall()
    return Counter(r[0] for r in rows)


def _phase(stack: Stack, name: str, chaos: Callable[[Stack, float], int]) -> dict[str, Any]:
    load = Load(stack.sandbox, f"{name[:2]}{uuid.uuid4().hex[:6]}")
    with load.running():
        crashes = chaos(stack, time.monotonic() + PHASE_S)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        replies = _replies(stack.sandbox, load.prefix)
        if all(c in replies for c in load.sent):
            break
        time.sleep(1)
    time.sleep(5)  # room for a late duplicate to show
    replies = _replies(stack.sandbox, load.prefix)
    delays = [min(replies[c]) - t for c, t in load.sent.items() if c in replies]
    rows = _sent_rows(stack.admin_url, load.prefix)
    return {
        "customers": len(load.sent),
        "refused_webhooks": load.refused,
        "crashes": crashes,
        "max_delay_s": round(max(delays), 1) if delays else None,
        "p50_delay_s": round(statistics.median(delays), 2) if delays else None,
        "lost": sum(1 for c in load.sent if c not in replies),
        "duplicates": sum(len(times) - 1 for times in replies.values()),
        "db_mismatches": sum(
            1 for c in set(replies) | set(rows) if rows.get(c, 0) != len(replies.get(c, []))
        ),
    }


def run() -> dict[str, Any]:
    random.seed(7)
    with make_run() as stack:
        # the baseline, same run: the same load with nothing killed
        baseline = _phase(stack, "baseline", lambda _s, until: _sleep_until(until))
        phases = {
            "worker_kill": _phase(stack, "worker_kill", _kill_workers_repeatedly),
            "broker_kill": _phase(stack, "broker_kill", _kill_valkey),
            "stalled_broker_worker_kill": _phase(
                stack, "stalled_broker_worker_kill", _kill_worker_while_valkey_stalls
            ),
        }
        still_up = stack.process.poll() is None
    every = [baseline, *phases.values()]
    return {
        "benchmark": "chaos",
        "baseline": baseline,
        **phases,
        "lost": sum(p["lost"] for p in every),
        "duplicates": sum(p["duplicates"] for p in every),
        "db_mismatches": sum(p["db_mismatches"] for p in every),
        "stack_kept_running": still_up,
        "cores": os.cpu_count(),
        "notes": f"make run's stack with its default settings and the offline responder; "
        f"{RATE_PER_S:g} new customers a second for {PHASE_S:g} s per phase, each writing once; "
        "delay: from the sandbox delivering the customer's message to it recording our reply",
    }


def _sleep_until(until: float) -> int:
    time.sleep(max(0.0, until - time.monotonic()))
    return 0
