"""`make run`: the embedded default. A real PostgreSQL that the project starts itself
(config/local_postgres.py, data in var/postgres/), a file-based Celery broker and a file cache,
so nothing but Python is needed. `make run` (config/run.py) sets DATABASE_URL for every process
it starts; DATABASE_URL / REDIS_URL point at any other PostgreSQL / Redis."""

from urllib.parse import quote

from config import local_postgres

from .base import *  # noqa: F403
from .base import VAR_DIR
from .env import database_from_url, env_str

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

VAR_DIR.mkdir(parents=True, exist_ok=True)
# The server `make run` keeps in var/postgres/ (running or not: commands that need no database,
# such as makemessages, work either way; the others need `make run` going).
_pgdata = VAR_DIR / "postgres"
_database_url = env_str("DATABASE_URL", "") or local_postgres.running_url(_pgdata)
if not _database_url:
    _socket = quote(str(_pgdata), safe="")
    _database_url = f"postgres://{local_postgres.APP_ROLE}@{_socket}/{local_postgres.DATABASE}"
DATABASES = {"default": database_from_url(_database_url, conn_max_age=60)}

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Celery's filesystem transport: the worker polls a folder. It has no real acknowledgement,
    # which is fine for a demo because deliveries are database rows that get claimed again.
    _broker = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }
    # A file cache is shared by the web process and the workers (allauth rate limits need one).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Mail is printed by the web process and the worker, so a developer can follow the links.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
