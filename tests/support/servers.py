"""Embedded PostgreSQL and Valkey for the test session: real servers on free loopback ports,
in a fresh directory, stopped when the session ends."""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.db.bootstrap import prepare_embedded_database
from app.runtime.embedded_postgres import EmbeddedPostgres
from app.runtime.embedded_valkey import create_valkey


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TestServers:
    root: Path
    postgres: EmbeddedPostgres
    valkey: object
    admin_url: str
    app_url: str
    redis_url: str

    def stop(self) -> None:
        self.valkey.stop()  # type: ignore[attr-defined]
        self.postgres.stop(mode="immediate")


def start_test_servers() -> TestServers:
    root = Path(tempfile.mkdtemp(prefix="socialsync-test-"))
    postgres = EmbeddedPostgres(root / "postgres", free_port())
    postgres.start()
    admin_url, app_url = prepare_embedded_database(
        postgres.superuser_url(), postgres.host, postgres.port
    )
    valkey = create_valkey(root / "valkey", free_port())
    valkey.start()
    return TestServers(root, postgres, valkey, admin_url, app_url, valkey.connection_url)
