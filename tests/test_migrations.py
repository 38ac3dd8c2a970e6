from __future__ import annotations

import shutil
import uuid

import psycopg
import pytest

from app.db.bootstrap import ensure_database
from app.db.migrations import MIGRATIONS_DIR, MigrationChecksumMismatch, apply_migrations, discover
from tests.support.servers import database_url


@pytest.fixture
def empty_database(servers):  # type: ignore[no-untyped-def]
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    ensure_database(servers.server_admin_url, name)
    yield database_url(servers.server_admin_url, name)
    with psycopg.connect(servers.server_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')


def test_migrations_apply_from_zero_and_are_idempotent(empty_database) -> None:
    versions = [m.version for m in discover()]
    assert apply_migrations(empty_database) == versions
    assert apply_migrations(empty_database) == []
    with psycopg.connect(empty_database) as conn:
        recorded = [
            r[0]
            for r in conn.execute(
                "select version from app_private.schema_migrations order by version"
            )
        ]
        assert recorded == versions
        assert (
            conn.execute("select extversion from pg_extension where extname = 'vector'")
            .fetchone()[0]
            .startswith("0.8")
        )
        # the Supabase compatibility layer behaves like Supabase's auth.uid()
        conn.execute(
            "select set_config('request.jwt.claims', '{\"sub\": \"6f1e4b1c-0000-4000-8000-000000000001\"}', true)"
        )
        assert (
            str(conn.execute("select auth.uid()").fetchone()[0])
            == "6f1e4b1c-0000-4000-8000-000000000001"
        )


def test_a_changed_migration_is_refused(empty_database, tmp_path) -> None:
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    apply_migrations(empty_database, tmp_path)
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    with pytest.raises(MigrationChecksumMismatch):
        apply_migrations(empty_database, tmp_path)


def test_a_failing_migration_leaves_nothing_half_applied(empty_database, tmp_path) -> None:
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "99990101000000_broken.sql").write_text(
        "create table public.half_done (id int);\nselect * from table_that_does_not_exist;\n"
    )
    with pytest.raises(psycopg.errors.UndefinedTable):
        apply_migrations(empty_database, tmp_path)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("select to_regclass('public.half_done')").fetchone()[0] is None
        assert (
            conn.execute(
                "select count(*) from app_private.schema_migrations where version = '99990101000000'"
            ).fetchone()[0]
            == 0
        )
