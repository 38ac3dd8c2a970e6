"""`make run`: the embedded servers (unless DATABASE_URL / REDIS_URL point elsewhere),
migrations, the demo workspace, then the API, the Meta sandbox, a Celery worker and Celery Beat
as child processes. A child or embedded server that dies is restarted with backoff while the
rest keeps running (restarts.py). Ctrl-C stops everything in order; the data stays under
DATA_DIR."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.config import Settings
from app.db.bootstrap import prepare_embedded_database
from app.db.login_role import check_login_role_at
from app.db.migrations import apply_migrations, pending_migrations
from app.db.pool import create_pool
from app.demo.seed import seed_demo
from app.runtime.embedded_postgres import EmbeddedPostgres
from app.runtime.embedded_valkey import create_valkey
from app.runtime.restarts import RestartPolicy, Supervised

READY_TIMEOUT_S = 60


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    postgres: EmbeddedPostgres | None = None
    valkey: object | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    def start_data_stores(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.settings
        if settings.uses_embedded_postgres:
            self.postgres = EmbeddedPostgres(
                self.data_dir / "postgres", settings.embedded_postgres_port
            )
            self.postgres.start()
            admin_url, app_url = prepare_embedded_database(
                self.postgres.superuser_url(), self.postgres.host, self.postgres.port
            )
            self.env["DATABASE_URL"] = app_url
            self.env["MIGRATION_DATABASE_URL"] = admin_url
            _say(
                f"PostgreSQL 18 + pgvector (embedded) on {self.postgres.host}:{self.postgres.port}"
            )
        else:
            assert settings.database_url is not None
            migrate_external(settings)
            _say("PostgreSQL: using DATABASE_URL")
        if settings.uses_embedded_redis:
            valkey = create_valkey(self.data_dir / "valkey", settings.embedded_redis_port)
            valkey.start()
            self.valkey = valkey
            self.env["REDIS_URL"] = valkey.connection_url
            _say(f"Valkey (embedded) on {valkey.connection_url}")
        else:
            _say("Redis: using REDIS_URL")
        self.env.setdefault("GRAPH_API_BASE", settings.graph_base)

    def seed(self) -> str | None:
        if not self.settings.seed_demo:
            return None
        settings = self.settings.model_copy(update={"database_url": self.env["DATABASE_URL"]})

        async def run() -> str:
            pool = create_pool(settings, self.env["DATABASE_URL"])
            await pool.open()
            try:
                return (await seed_demo(settings, pool)).workspace_id
            finally:
                await pool.close()

        return asyncio.run(run())

    def spawn(self, name: str, args: list[str]) -> None:
        self.commands[name] = args
        self._start_child(name)

    def _start_child(self, name: str) -> None:
        self.children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *self.commands[name]], env=self.env, start_new_session=True
        )

    def supervised(self, policy: RestartPolicy) -> list[Supervised]:
        """Everything `make run` keeps alive: each child process, and the embedded servers."""
        now = time.monotonic()
        watched = [
            Supervised(
                name,
                alive=lambda n=name: self.children[n].poll() is None,  # type: ignore[misc]
                start=lambda n=name: self._start_child(n),  # type: ignore[misc]
                policy=policy,
                started_at=now,
            )
            for name in self.children
        ]
        if self.valkey is not None:
            valkey = self.valkey
            watched.append(
                Supervised(
                    "valkey",
                    alive=lambda: _process_alive(valkey),
                    start=lambda: _restart(valkey),
                    policy=policy,
                    started_at=now,
                )
            )
        if self.postgres is not None:
            postgres = self.postgres
            watched.append(
                Supervised(
                    "postgres",
                    alive=postgres.is_running,
                    start=postgres.start,
                    policy=policy,
                    started_at=now,
                )
            )
        return watched

    def start_processes(self) -> None:
        s = self.settings
        self.spawn(
            "api",
            [
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                s.api_host,
                "--port",
                str(s.api_port),
                "--no-access-log",
                # X-Forwarded-For is honoured only from TRUSTED_PROXIES, by the app itself
                "--no-proxy-headers",
            ],
        )
        self.spawn(
            "sandbox",
            [
                "-m",
                "uvicorn",
                "app.sandbox.main:create_sandbox_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(s.sandbox_port),
                "--no-access-log",
            ],
        )
        self.spawn(
            "worker",
            [
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                "high,default,low",
                # neither is used (no revokes to sync, no worker events) and mingle alone costs
                # a second at every (re)start
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
        )
        self.spawn(
            "beat", ["-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel", "INFO"]
        )

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        url = f"http://{self.settings.api_host}:{self.settings.api_port}/ready"
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.children.values()):
                return False
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.valkey is not None:
            self.valkey.stop()  # type: ignore[attr-defined]
        if self.postgres is not None:
            self.postgres.stop()


def migrate_external(settings: Settings) -> None:
    """Your own PostgreSQL or Supabase: the admin URL (MIGRATION_DATABASE_URL) is needed only
    when a migration is pending; the app's role is checked before anything starts."""
    assert settings.database_url is not None
    check_login_role_at(settings.database_url, settings)
    pending = pending_migrations(settings.database_url)
    if not pending:
        return
    if settings.migration_database_url is None:
        raise SystemExit(
            f"[socialsync] {len(pending)} migration(s) pending ({pending[0].path.name} first): "
            "set MIGRATION_DATABASE_URL to an admin connection, or run "
            "`uv run python -m app.cli migrate` with it"
        )
    applied = apply_migrations(settings.migration_database_url)
    _say(f"applied {len(applied)} migration(s)")


def _process_alive(server: object) -> bool:
    """Whether the embedded server's process still exists; a stalled one counts as alive (it
    may come back, and restarting it would drop what it holds in memory)."""
    process = getattr(server, "_process", None)
    return process is not None and process.poll() is None


def _restart(server: object) -> None:
    """Start an embedded server again once its process is gone (its wrapper first forgets the
    dead process: it refuses to start while it remembers one)."""
    with contextlib.suppress(Exception):
        server.stop()  # type: ignore[attr-defined]
    server.start()  # type: ignore[attr-defined]


def _say(text: str) -> None:
    print(f"[socialsync] {text}", flush=True)


def run_stack(settings: Settings) -> int:
    stack = Stack(settings)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start_data_stores()
        workspace_id = stack.seed()
        stack.start_processes()
        if not stack.wait_ready():
            _say("the API did not become ready; see the logs above")
            return 1
        api = f"http://{settings.api_host}:{settings.api_port}"
        _say("ready")
        print(
            f"\n  Console        {api}/\n"
            f"  API            {api}\n"
            f"  API docs       {api}/docs\n"
            f"  Readiness      {api}/ready\n"
            f"  Meta sandbox   http://127.0.0.1:{settings.sandbox_port}/docs\n"
            + (
                f"  Demo login     {settings.demo_email} / "
                f"{settings.demo_password.get_secret_value()}\n"
                f"  Demo workspace {workspace_id}\n"
                if workspace_id
                else ""
            )
            + f"  Data           {stack.data_dir}\n\n  Ctrl-C stops everything; data is kept.\n",
            flush=True,
        )
        # a crashed child (or embedded server) is restarted with backoff; the others keep
        # running, so a worker crash delays replies by seconds instead of stopping the product
        watched = stack.supervised(RestartPolicy())
        while not stopping:
            now = time.monotonic()
            for item in watched:
                item.check(now, _say)
            time.sleep(0.5)
        return 0
    finally:
        _say("stopping")
        stack.stop()
        _say("stopped")
