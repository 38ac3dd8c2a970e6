"""Applies `supabase/compat.sql` and then `supabase/migrations/*.sql` in order, once each.

The files stay plain SQL so the Supabase CLI can push the same migrations to a real project.
An advisory lock makes concurrent runners (two processes starting at once) wait for each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2] / "supabase"
MIGRATIONS_DIR = ROOT / "migrations"
COMPAT_SCRIPT = ROOT / "compat.sql"
_LOCK_KEY = 0x50C1A15_1  # arbitrary, constant across releases


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationChecksumMismatch(RuntimeError):
    pass


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(version=version, name=name, path=path))
    return found


def apply_migrations(admin_url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Returns the versions applied by this call (empty when the database was current)."""
    applied_now: list[str] = []
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(COMPAT_SCRIPT.read_text(encoding="utf-8"))
            conn.execute(
                "create schema if not exists app_private;"
                "create table if not exists app_private.schema_migrations ("
                " version text primary key, name text not null, checksum text not null,"
                " applied_at timestamptz not null default now())"
            )
            done = {
                row[0]: row[1]
                for row in conn.execute(
                    "select version, checksum from app_private.schema_migrations"
                )
            }
            for migration in discover(directory):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChecksumMismatch(
                            f"migration {migration.path.name} changed after it was applied"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "insert into app_private.schema_migrations (version, name, checksum)"
                        " values (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration.version)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def pending_migrations(url: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations not yet applied, read with any role (the app's own login role included,
    through `app_meta.applied_migrations()`); all of them on a database that has none."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            applied = {row[0] for row in conn.execute("select app_meta.applied_migrations()")}
        except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
            applied = set()
    return [m for m in discover(directory) if m.version not in applied]
