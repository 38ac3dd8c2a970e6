"""The embedded servers start, keep their data across a restart, and stop cleanly."""

from __future__ import annotations

import psycopg
import redis

from app.runtime.embedded_postgres import EmbeddedPostgres
from app.runtime.embedded_valkey import create_valkey
from tests.support.servers import free_port


def test_postgres_survives_restart_with_data(tmp_path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())
    pg.start()
    try:
        with psycopg.connect(pg.superuser_url(), autocommit=True) as conn:
            conn.execute("create table kept (v text)")
            conn.execute("insert into kept values ('still here')")
        pg.stop()
        assert not pg.is_running()
        pg.start()
        with psycopg.connect(pg.superuser_url()) as conn:
            assert conn.execute("select v from kept").fetchone() == ("still here",)
            assert conn.execute("show server_version").fetchone()[0].startswith("18")
    finally:
        pg.stop()
    assert not pg.is_running()


def test_valkey_survives_restart_with_data(tmp_path) -> None:
    port = free_port()
    server = create_valkey(tmp_path / "valkey", port)
    server.start()
    client = redis.Redis.from_url(server.connection_url)
    client.rpush("queue", "task-1")
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    client.close()
    server.stop()
    assert not server.is_running()

    again = create_valkey(tmp_path / "valkey", port)
    again.start()
    try:
        client = redis.Redis.from_url(again.connection_url)
        assert client.lrange("queue", 0, -1) == [b"task-1"]
        client.close()
    finally:
        again.stop()
