"""`make run`: the embedded default. SQLite, a file-based Celery broker and a file cache, so
nothing but Python is needed. DATABASE_URL / REDIS_URL switch to PostgreSQL / Redis."""

from .base import *  # noqa: F403
from .base import VAR_DIR
from .env import database_from_url, env_str

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat share one SQLite file: write-ahead logging lets
    # readers carry on beside a writer, and writers queue (up to 20 s) instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

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
