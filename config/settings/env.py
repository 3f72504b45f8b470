"""Reading settings from the environment: one helper per type, each with a safe default."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

POSTGRESQL_ENGINE = "agencies.postgresql"  # Django's, plus row-level security (its docstring)


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str, **options) -> dict:
    """A DATABASES entry from a URL (dj-database-url). PostgreSQL URLs get our backend, which
    keeps row-level security in step with the tenancy scope."""
    database = dj_database_url.parse(url, **options)
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["ENGINE"] = POSTGRESQL_ENGINE
    return database
