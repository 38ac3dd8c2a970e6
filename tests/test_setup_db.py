"""`python -m app.cli setup-db` prepares an empty database on a server treated as the user's own
(a new database on the test server, reached only through the admin URL given), and the app
then runs on the DATABASE_URL it prints: a role that is not superuser, not BYPASSRLS and owns
nothing. A superuser DATABASE_URL is refused outside development."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from app.db.login_role import UnsafeLoginRole
from app.db.migrations import discover, pending_migrations
from tests.support.factories import create_workspace, register
from tests.support.servers import database_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_database(servers: Any) -> Iterator[tuple[str, str]]:
    """(admin URL of a new, empty database, the role name to create); both gone afterwards."""
    name = f"ext_{uuid.uuid4().hex[:10]}"
    role = f"socialsync_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(servers.server_admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield database_url(servers.server_admin_url, name), role
    with psycopg.connect(servers.server_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')
        conn.execute(f'drop role if exists "{role}"')


def _setup_db(admin_url: str, role: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "setup-db", "--admin-url", admin_url, "--app-role", role],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _env_lines(output: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in output.splitlines() if line and not line.startswith("#")
    )


async def test_setup_db_prepares_an_empty_database_and_the_app_runs_on_it(
    empty_database, settings
) -> None:
    admin_url, role = empty_database
    done = _setup_db(admin_url, role)
    assert done.returncode == 0, done.stderr
    lines = _env_lines(done.stdout)
    assert set(lines) == {"DATABASE_URL", "MIGRATION_DATABASE_URL", "SEED_DEMO"}
    assert f"{len(discover())} migration(s) applied" in done.stdout
    app_url = lines["DATABASE_URL"]

    with psycopg.connect(app_url, row_factory=dict_row) as conn:
        me = conn.execute(
            "select current_user as name, rolsuper, rolbypassrls, rolinherit from pg_roles"
            " where rolname = current_user"
        ).fetchone()
        assert me == {"name": role, "rolsuper": False, "rolbypassrls": False, "rolinherit": False}
        owned = conn.execute(
            "select (select count(*) from pg_class where relowner = r.oid)"
            " + (select count(*) from pg_proc where proowner = r.oid)"
            " + (select count(*) from pg_namespace where nspowner = r.oid) as n"
            " from pg_roles r where rolname = current_user"
        ).fetchone()
        assert owned == {"n": 0}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from public.workspaces")
    assert pending_migrations(app_url) == [], "the app role can tell the schema is current"

    from app.main import create_app

    app = create_app(settings.model_copy(update={"database_url": app_url}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        owner = await register(client, "external")
        ws = (await create_workspace(client, owner, "Own Postgres Shop"))["id"]
        listed = await client.get("/api/workspaces", headers=owner.headers())
        assert [w["id"] for w in listed.json()["items"]] == [ws]
        assert (await client.get("/ready")).status_code == 200

    again = _setup_db(admin_url, role)
    assert again.returncode == 0, again.stderr
    assert "0 migration(s) applied" in again.stdout, "running it twice changes nothing"


async def test_setup_db_refuses_to_reuse_a_privileged_role(empty_database) -> None:
    admin_url, _ = empty_database
    refused = _setup_db(admin_url, "postgres")
    assert refused.returncode == 1 and "privileged" in refused.stderr


async def test_a_superuser_database_url_is_refused_outside_development(servers, settings) -> None:
    from app.main import create_app

    app = create_app(settings.model_copy(update={"database_url": servers.admin_url}))
    with pytest.raises(UnsafeLoginRole, match=r"superuser|BYPASSRLS"):
        async with app.router.lifespan_context(app):
            pass
    development = settings.model_copy(
        update={"database_url": servers.admin_url, "environment": "development"}
    )
    app = create_app(development)
    async with app.router.lifespan_context(app):
        pass  # development: a warning, not a refusal


async def test_make_run_needs_the_admin_url_only_when_a_migration_is_pending(
    empty_database, settings
) -> None:
    from app.runtime.supervisor import migrate_external

    admin_url, role = empty_database
    development = settings.model_copy(update={"environment": "development"})
    pending = development.model_copy(
        update={"database_url": admin_url, "migration_database_url": None}
    )
    with pytest.raises(SystemExit, match=r"migration\(s\) pending"):
        migrate_external(pending)
    migrate_external(pending.model_copy(update={"migration_database_url": admin_url}))
    assert pending_migrations(admin_url) == []

    done = _setup_db(admin_url, role)
    app_url = _env_lines(done.stdout)["DATABASE_URL"]
    # the app's own role, no admin URL: starts, since nothing is pending
    migrate_external(
        settings.model_copy(update={"database_url": app_url, "migration_database_url": None})
    )
    with pytest.raises(UnsafeLoginRole):
        migrate_external(settings.model_copy(update={"database_url": admin_url}))
