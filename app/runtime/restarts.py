"""Restart with backoff: what `make run`'s supervisor does when a child process or an embedded
server dies, while the others keep running (docker-compose's `restart: unless-stopped` and
systemd's `Restart=always` with `RestartSec` do the same for their deployments)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RestartPolicy:
    """Waits 1 s, then 2, 4, ... up to `max_delay_s` between restarts; a process that stayed up
    for `stable_after_s` counts as healthy again and starts over from the first delay."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    # a crash loop dies within seconds of its start; a process that ran this long did work
    stable_after_s: float = 10.0

    def delay(self, failures: int) -> float:
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** max(0, failures - 1)))


@dataclass
class Supervised:
    """One thing to keep running: `alive()` says whether it is, `start()` starts it again."""

    name: str
    alive: Callable[[], bool]
    start: Callable[[], None]
    policy: RestartPolicy
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def check(self, now: float, say: Callable[[str], None]) -> None:
        if self.restart_at is None:
            if self.alive():
                return
            if now - self.started_at >= self.policy.stable_after_s:
                self.failures = 0
            self.failures += 1
            wait = self.policy.delay(self.failures)
            self.restart_at = now + wait
            say(f"{self.name} exited; restarting in {wait:.0f} s (the rest keeps running)")
            return
        if now < self.restart_at:
            return
        try:
            self.start()
        except Exception as exc:
            say(f"{self.name} did not start ({exc}); trying again")
            self.started_at, self.restart_at = now, None
            return
        self.started_at, self.restart_at = time.monotonic(), None
        self.restarts += 1
        say(f"{self.name} restarted")
