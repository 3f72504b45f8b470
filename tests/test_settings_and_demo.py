"""Production settings pass Django's deploy check and refuse to start without what they need;
the demo seeds twice without change. (`make run` itself, from start to Ctrl-C, is
tests/e2e/test_newcomer.py.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from agencies.models import Agency, Membership, User
from agencies.tenancy import scopes_disabled
from demo.seed import DEMO_PASSWORD, STAFF, seed_demo

ROOT = Path(__file__).resolve().parent.parent

# Production settings for `manage.py check --deploy`, which reads them and connects to nothing.
# The hosts are under `.invalid`, which never resolves (RFC 6761): even by mistake, no test can
# reach the machine's own PostgreSQL or Redis through them.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-for-the-check",
    "DJANGO_ALLOWED_HOSTS": "rapport.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://rapport.example.org",
    "DATABASE_URL": "postgres://rapport_app@db.rapport.invalid:5432/rapport",
    "RAPPORT_SITE_URL": "https://rapport.example.org",
    "REDIS_URL": "redis://cache.rapport.invalid:6379/0",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "extra, prepared",
    [
        ({}, "True"),
        ({"DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true"}, "False"),
        (
            {
                "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
                "DATABASE_PREPARED_STATEMENTS": "true",
            },
            "True",
        ),
    ],
    ids=["direct", "behind PgBouncer", "behind a PgBouncer that keeps them"],
)
def test_production_prepares_the_check_in_statements_unless_behind_pgbouncer(extra, prepared):
    """The README's PgBouncer advice turns the prepared statements off (decision 183)."""
    show = "from django.conf import settings; print(settings.RAPPORT_PREPARED_STATEMENTS)"
    result = manage("shell", "-c", show, env={**PRODUCTION_ENV, **extra})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == prepared


@pytest.mark.parametrize("setting", ["DJANGO_SECRET_KEY", "RAPPORT_SITE_URL", "DATABASE_URL"])
def test_production_refuses_to_start_without(setting):
    env = {k: v for k, v in {**os.environ, **PRODUCTION_ENV}.items() if k != setting}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode != 0 and f"Set the environment variable {setting}" in result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_its_logins_work():
    seed_demo()
    with scopes_disabled():
        counts = (Agency.objects.count(), User.objects.count(), Membership.objects.count())
    seed_demo()
    with scopes_disabled():
        assert (Agency.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    peer_email = next(email for email, *_ in STAFF if email.startswith("peer@harbor"))
    browser = Client()
    browser.post("/accounts/login/", {"login": peer_email, "password": DEMO_PASSWORD})
    assert browser.get("/a/harbor/").status_code == 200
    assert browser.get("/a/mesa/").status_code == 404
