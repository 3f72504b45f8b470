"""Housekeeping runs in a real worker: expired staff sessions are cleared from the database."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from agencies.tasks import sessions_clear_expired

pytestmark = pytest.mark.celery_worker


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_clears_expired_sessions_and_keeps_live_ones(celery_worker_queue):
    live = SessionStore()
    live["who"] = 1
    live.create()
    stale = SessionStore()
    stale.create()
    Session.objects.filter(session_key=stale.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    sessions_clear_expired.apply_async(queue=celery_worker_queue)

    assert wait_for(lambda: not Session.objects.filter(session_key=stale.session_key).exists())
    assert Session.objects.filter(session_key=live.session_key).exists()
