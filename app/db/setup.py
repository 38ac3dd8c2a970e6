"""`socialsync setup-db`: prepares an empty PostgreSQL or Supabase database as the app needs it,
from an admin connection: the extensions, Supabase's roles and helpers where they are missing
(compat.sql), the migrations, and the app's login role (a password, not superuser, not
BYPASSRLS, owning nothing, able only to switch to the client roles)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from app.db.bootstrap import APP_ROLE, ensure_app_role
from app.db.migrations import apply_migrations

MIN_SERVER_VERSION = 150000  # PostgreSQL 15
MIN_PGVECTOR = (0, 8)


class SetupError(RuntimeError):
    """The server cannot host SocialSync; the message says what to do."""


@dataclass(frozen=True)
class SetupResult:
    database_url: str
    migration_database_url: str
    applied: list[str]
    server_version: str


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def check_server(admin_url: str) -> str:
    """The server's version, once it is known to be PostgreSQL 15+ with pgvector 0.8+."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        number = int(conn.execute("show server_version_num").fetchone()[0])  # type: ignore[index]
        version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        if number < MIN_SERVER_VERSION:
            raise SetupError(f"PostgreSQL {version} is too old: use 15, 16, 17 or 18")
        row = conn.execute(
            "select default_version, installed_version from pg_available_extensions"
            " where name = 'vector'"
        ).fetchone()
        if row is None:
            raise SetupError(
                "the pgvector extension is not available on this server: install it "
                "(Debian: postgresql-<major>-pgvector; Supabase has it)"
            )
        have = _version_tuple(row[1] or row[0])
        if have < MIN_PGVECTOR:
            raise SetupError(
                f"pgvector {row[1] or row[0]} is too old: 0.8 or newer is needed "
                "(ALTER EXTENSION vector UPDATE)"
            )
        conn.execute("create extension if not exists vector")
    return version


def app_url(admin_url: str, role: str, password: str) -> str:
    """The admin URL with the app role's credentials. Behind Supabase's pooler the user name
    carries the project ref (`postgres.<ref>`), and so must the app role's."""
    parts = urlsplit(admin_url)
    admin_user = parts.username or ""
    user = f"{role}.{admin_user.split('.', 1)[1]}" if "." in admin_user else role
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='.')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _refuse_privileged_role(admin_url: str, role: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "select rolsuper or rolbypassrls as privileged,"
            " (select count(*) from pg_class where relowner = r.oid) as owns"
            " from pg_roles r where rolname = %s",
            (role,),
        ).fetchone()
    if row is not None and (row[0] or row[1]):
        raise SetupError(
            f"the role {role} exists and is privileged or owns tables: name a new role with "
            "--app-role"
        )


def setup_database(
    admin_url: str, *, role: str = APP_ROLE, password: str | None = None
) -> SetupResult:
    version = check_server(admin_url)
    _refuse_privileged_role(admin_url, role)
    applied = apply_migrations(admin_url)
    password = password or secrets.token_urlsafe(24)
    ensure_app_role(admin_url, role=role, password=password)
    return SetupResult(
        database_url=app_url(admin_url, role, password),
        migration_database_url=admin_url,
        applied=applied,
        server_version=version,
    )
