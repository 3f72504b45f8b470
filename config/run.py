"""What `make run` runs: the demo, with nothing installed but Python.

1. PostgreSQL: unless DATABASE_URL is set, the embedded server in var/postgres/ is started
   (created on the first run, reused by the next; `make clean` removes it), with its two roles
   (config/local_postgres.py).
2. `migrate` and `seed_demo`, as the maintenance role.
3. honcho starts Procfile.dev (web, Celery worker, beat) as the application role, with the
   site address set to the port actually served, so every link the demo makes opens.
Ctrl-C stops the three, then PostgreSQL.

Environment: PORT (8000), RAPPORT_VAR_DIR (var/), DATABASE_URL with
MAINTENANCE_DATABASE_URL (another PostgreSQL: the application's and the maintenance role's
URLs; the second defaults to the first), REDIS_URL (Redis as broker and cache)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from config import local_postgres

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def serve(env: dict) -> int:
    """honcho in the foreground until it ends (Ctrl-C reaches it from the terminal too)."""
    honcho = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [str(BIN / "honcho"), "--procfile", "Procfile.dev", "start", "--port", env["PORT"]],
        cwd=ROOT,
        env=env,
    )
    signal.signal(signal.SIGTERM, lambda *_: honcho.send_signal(signal.SIGINT))
    while True:
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            continue  # honcho got the same Ctrl-C and is stopping its processes


def main() -> int:
    port = os.environ.get("PORT", "8000")
    var = Path(os.environ.get("RAPPORT_VAR_DIR", ROOT / "var")).resolve()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "RAPPORT_VAR_DIR": str(var),
        "PORT": port,
        "RAPPORT_SITE_URL": os.environ.get("RAPPORT_SITE_URL", f"http://127.0.0.1:{port}"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server = None
    if os.environ.get("DATABASE_URL"):
        maintenance_url = os.environ.get("MAINTENANCE_DATABASE_URL", env["DATABASE_URL"])
    else:
        print(f"Starting PostgreSQL in {var / 'postgres'}", flush=True)
        server = local_postgres.start(var / "postgres")
        local_postgres.roles_and_database_ensure(server)
        env["DATABASE_URL"] = local_postgres.url(server, user=local_postgres.APP_ROLE)
        maintenance_url = local_postgres.url(server, user=local_postgres.MAINTENANCE_ROLE)
    try:
        maintenance = {**env, "DATABASE_URL": maintenance_url}
        manage("migrate", "--no-input", env=maintenance)
        manage("seed_demo", env=maintenance)
        print(
            f"Serving on {env['RAPPORT_SITE_URL']} with a Celery worker and beat. "
            "Ctrl-C stops all of it.",
            flush=True,
        )
        return serve(env)
    except KeyboardInterrupt:
        return 130
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        if server is not None:
            print("Stopping PostgreSQL", flush=True)
            local_postgres.stop(server)


if __name__ == "__main__":
    sys.exit(main())
