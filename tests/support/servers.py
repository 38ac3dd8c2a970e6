"""The servers of a test session: by default an embedded PostgreSQL and Valkey on free loopback
ports, in a fresh directory, stopped when the session ends.

Set TEST_DATABASE_ADMIN_URL (an admin connection to your own PostgreSQL 15+ with pgvector, or a
Supabase project) and/or TEST_REDIS_URL (a Redis database number used for nothing else) to run
the suite against them instead: the tests make a new database and login role through
`setup-db`, and drop both at the end; the Redis database is flushed before and after. Tests
that stop and start a server are skipped there, saying so."""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from app.db.bootstrap import prepare_embedded_database
from app.db.setup import setup_database
from app.runtime.embedded_postgres import EmbeddedPostgres
from app.runtime.embedded_valkey import create_valkey

EXTERNAL_POSTGRES = os.environ.get("TEST_DATABASE_ADMIN_URL") or None
EXTERNAL_REDIS = os.environ.get("TEST_REDIS_URL") or None

needs_embedded_redis = pytest.mark.skipif(
    EXTERNAL_REDIS is not None,
    reason="stops and restarts the Redis server, which only the embedded Valkey allows "
    "(TEST_REDIS_URL is set)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(server_admin_url: str, database: str) -> str:
    return urlunsplit(urlsplit(server_admin_url)._replace(path=f"/{database}"))


@dataclass
class TestServers:
    root: Path
    postgres: EmbeddedPostgres | None
    valkey: object | None
    # an admin connection to the server (to make and drop databases), and to our database
    server_admin_url: str
    admin_url: str
    app_url: str
    redis_url: str
    database: str
    app_role: str | None = None  # made for this session on an external server

    def stop(self) -> None:
        if self.valkey is not None:
            self.valkey.stop()  # type: ignore[attr-defined]
        else:
            redis.Redis.from_url(self.redis_url).flushdb()
        if self.postgres is not None:
            self.postgres.stop(mode="immediate")
            return
        with psycopg.connect(self.server_admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{self.database}" with (force)')
            if self.app_role:
                conn.execute(f'drop role if exists "{self.app_role}"')


def start_test_servers() -> TestServers:
    root = Path(tempfile.mkdtemp(prefix="socialsync-test-"))
    postgres: EmbeddedPostgres | None = None
    app_role: str | None = None
    if EXTERNAL_POSTGRES:
        server_admin_url = EXTERNAL_POSTGRES
        database = f"socialsync_test_{secrets.token_hex(4)}"
        with psycopg.connect(server_admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{database}"')
        admin_url = database_url(server_admin_url, database)
        app_role = f"socialsync_test_{secrets.token_hex(4)}"
        app_url = setup_database(admin_url, role=app_role).database_url
    else:
        postgres = EmbeddedPostgres(root / "postgres", free_port())
        postgres.start()
        server_admin_url = postgres.superuser_url()
        database = "socialsync"
        admin_url, app_url = prepare_embedded_database(
            server_admin_url, postgres.host, postgres.port
        )
    valkey: object | None = None
    if EXTERNAL_REDIS:
        redis_url = EXTERNAL_REDIS
        redis.Redis.from_url(redis_url).flushdb()
    else:
        embedded = create_valkey(root / "valkey", free_port())
        embedded.start()
        valkey, redis_url = embedded, embedded.connection_url
    return TestServers(
        root, postgres, valkey, server_admin_url, admin_url, app_url, redis_url, database, app_role
    )
