"""`make test`: the suite's own PostgreSQL and Redis, which tests/services.py starts before
these settings are read (it sets DATABASE_URL, as the maintenance role, and REDIS_URL).
pytest-django creates and drops the test database; the tests run as the application role
(tests/conftest.py)."""

from .base import *  # noqa: F403
from .env import database_from_url, env_str

DATABASES = {"default": database_from_url(env_str("DATABASE_URL"))}
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "rapport-test",
    }
}
CELERY_BROKER_URL = REDIS_URL
# Tests run tasks through a real broker and a real worker where it matters (see
# tests/celery_worker.py); elsewhere they call the task functions directly.
CELERY_TASK_ALWAYS_EAGER = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_URL = "http://testserver"
RAPPORT_SMS_BACKEND = "alliance.messaging.transports.MemorySMS"
