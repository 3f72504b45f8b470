"""Production: PostgreSQL, Redis (cache and broker), Celery workers on several machines, HTTPS
in front. Every knob is an environment variable; the README lists them."""

from .base import *  # noqa: F403
from .env import database_from_url, env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The address in every link that goes out (https://rapport.example.org): no default here.
SITE_URL = env_str("RAPPORT_SITE_URL").rstrip("/")

# DATABASE_URL names the application role (no SUPERUSER, no BYPASSRLS); run `migrate` with
# DATABASE_URL set to the maintenance role's URL instead (README, "Database roles"). Behind
# PgBouncer in transaction pooling mode, also set DATABASE_DISABLE_SERVER_SIDE_CURSORS=true.
BEHIND_PGBOUNCER = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
        disable_server_side_cursors=BEHIND_PGBOUNCER,
    )
}
# Prepared statements (decision 183): off behind PgBouncer in transaction mode, unless it keeps
# them (1.21 or later with max_prepared_statements): then DATABASE_PREPARED_STATEMENTS=true.
RAPPORT_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", not BEHIND_PGBOUNCER)
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Redis redelivers unacknowledged messages after this long; no Rapport task runs near it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS everywhere. Behind a proxy that terminates TLS, set DJANGO_SECURE_PROXY_SSL_HEADER=true
# (the proxy must set X-Forwarded-Proto).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("SMTP_HOST", "localhost"),
            "port": env_int("SMTP_PORT", 587),
            "username": env_str("SMTP_USERNAME", ""),
            "password": env_str("SMTP_PASSWORD", ""),
            "use_tls": env_bool("SMTP_USE_TLS", True),
            "timeout": env_int("SMTP_TIMEOUT", 10),
        },
    }
}

LOGGING["root"]["level"] = env_str("DJANGO_LOG_LEVEL", "INFO")  # noqa: F405
