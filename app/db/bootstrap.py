"""Prepares a plain PostgreSQL server (the embedded default) the way a Supabase project comes:
our database, and a login role for the app that, like Supabase's `authenticator`, owns nothing,
is neither superuser nor BYPASSRLS, inherits nothing, and can only switch to the client roles."""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.db.migrations import apply_migrations

DATABASE = "socialsync"
APP_ROLE = "socialsync_app"


def ensure_database(server_admin_url: str, database: str = DATABASE) -> None:
    with psycopg.connect(server_admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))


def ensure_app_role(admin_url: str, role: str = APP_ROLE, password: str | None = None) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        ident = sql.Identifier(role)
        if not exists:
            conn.execute(
                sql.SQL("create role {} login noinherit nosuperuser nobypassrls").format(ident)
            )
        if password is not None:
            conn.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(password)))
        conn.execute(sql.SQL("grant anon, authenticated, service_role to {}").format(ident))


def prepare_embedded_database(server_admin_url_for: str, host: str, port: int) -> tuple[str, str]:
    """Creates the database, migrates it and returns (admin_url, app_url)."""
    ensure_database(server_admin_url_for)
    admin_url = f"postgresql://postgres@{host}:{port}/{DATABASE}"
    apply_migrations(admin_url)
    ensure_app_role(admin_url)
    return admin_url, f"postgresql://{APP_ROLE}@{host}:{port}/{DATABASE}"
