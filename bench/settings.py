"""Production settings for the benchmarks: config.settings.production with DEBUG off, on the
database `rapport_bench` of a private PostgreSQL and a private Redis that `python -m bench`
starts and stops itself (the suite's, tests/services.py), over plain HTTP on loopback. The
machine's own PostgreSQL and Redis are never used.

Differences from production, all needed to serve http://127.0.0.1 without TLS: no HTTPS
redirect, no Secure-only cookies, no HSTS. The URLconf adds the floor's route (bench/urls.py);
the real URLconf is unchanged.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
if "DATABASE_URL" not in os.environ or "REDIS_URL" not in os.environ:
    raise RuntimeError("Run the benchmarks with `make bench`: it starts their own services.")
os.environ.setdefault("RAPPORT_SITE_URL", "http://127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_HSTS_SECONDS", "0")

from config.settings.production import *  # noqa: E402, F403
from config.settings.production import BASE_DIR, LOGGING  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
SITE_URL = "http://127.0.0.1"
# SMS and email go nowhere real: the dispatch benchmark sends in-app notices only.
RAPPORT_SMS_BACKEND = "alliance.messaging.transports.MemorySMS"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
LOGGING["root"]["level"] = "WARNING"
