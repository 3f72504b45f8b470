"""The floor's own server: the same production settings with no middleware at all and a
URLconf holding only the floor views. A bare Django view on gunicorn and PostgreSQL."""

from bench.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor_urls"
INSTALLED_APPS: list[str] = []  # no app's ready() checks: allauth would demand its middleware
