"""`socialsync run | migrate | setup-db | seed-demo`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.config import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="socialsync")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the whole product on this machine")
    migrate = sub.add_parser(
        "migrate", help="apply migrations to MIGRATION_DATABASE_URL or DATABASE_URL"
    )
    migrate.add_argument(
        "--app-role-password",
        help="also create the API's login role (socialsync_app) with this password, for a plain "
        "PostgreSQL server; Supabase projects use their own roles",
    )
    setup = sub.add_parser(
        "setup-db",
        help="prepare an empty PostgreSQL (15+, pgvector 0.8+) or Supabase database and create "
        "the app's login role; prints the lines for .env",
    )
    setup.add_argument(
        "--admin-url",
        required=True,
        help="a connection that may create extensions, roles and tables (Supabase: the "
        "session pooler's postgres URL, port 5432)",
    )
    setup.add_argument("--app-role", default="socialsync_app", help="the login role to create")
    setup.add_argument(
        "--app-password", help="its password (default: a new random one, printed once)"
    )
    sub.add_parser("seed-demo", help="create the demo workspace in DATABASE_URL")
    args = parser.parse_args(argv)
    settings = get_settings()

    if args.command == "run":
        from app.runtime.supervisor import run_stack

        return run_stack(settings)
    if args.command == "migrate":
        from app.db.migrations import apply_migrations

        url = settings.migration_database_url or settings.database_url
        if not url:
            parser.error("set DATABASE_URL (or MIGRATION_DATABASE_URL)")
        applied = apply_migrations(url)
        print(f"applied {len(applied)} migration(s)")
        if args.app_role_password:
            from app.db.bootstrap import ensure_app_role

            ensure_app_role(url, password=args.app_role_password)
            print("app role socialsync_app ready")
        return 0
    if args.command == "setup-db":
        from app.db.setup import SetupError, setup_database

        try:
            result = setup_database(args.admin_url, role=args.app_role, password=args.app_password)
        except SetupError as exc:
            print(f"setup-db: {exc}", file=sys.stderr)
            return 1
        print(
            f"# PostgreSQL {result.server_version}: {len(result.applied)} migration(s) applied,"
            f" login role {args.app_role} ready (not superuser, not BYPASSRLS, owns nothing)\n"
            "# Put these lines in .env (SEED_DEMO=false keeps the demo shop out of a real"
            " database):\n"
            f"DATABASE_URL={result.database_url}\n"
            f"MIGRATION_DATABASE_URL={result.migration_database_url}\n"
            "SEED_DEMO=false"
        )
        return 0
    if args.command == "seed-demo":
        from app.db.pool import create_pool
        from app.demo.seed import seed_demo

        if not settings.database_url:
            parser.error("set DATABASE_URL")

        async def seed() -> None:
            pool = create_pool(settings, settings.database_url or "")
            await pool.open()
            try:
                demo = await seed_demo(settings, pool)
                print(
                    f"demo workspace {demo.workspace_id} ({'created' if demo.created else 'exists'})"
                )
            finally:
                await pool.close()

        asyncio.run(seed())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
