"""The two set-ups a newcomer meets: production settings pass Django's deploy check, and the
embedded default (SQLite) migrates and seeds the demo, twice without change."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from agencies.demo import DEMO_PASSWORD, STAFF, seed_demo
from agencies.models import Agency, Membership, User
from agencies.tenancy import scopes_disabled

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-for-the-check",
    "DJANGO_ALLOWED_HOSTS": "rapport.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://rapport.example.org",
    "DATABASE_URL": "postgres://rapport@127.0.0.1:5432/rapport",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
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


def test_production_refuses_to_start_without_its_secret():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "DJANGO_SECRET_KEY"},
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_embedded_default_migrates_and_seeds_on_sqlite(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    first = manage("seed_demo", env=env)
    second = manage("seed_demo", env=env)
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert "peer@harbor.example" in first.stdout and DEMO_PASSWORD in first.stdout


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
