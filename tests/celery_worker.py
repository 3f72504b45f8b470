"""Real Celery worker processes, on the real Redis broker, reading the test database.

Use with `transactional_db` so that what the test writes is committed and visible to the
worker. Each worker listens on a queue of its own, so a developer's running worker cannot
take the test's messages.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.services import database_url

ROOT = Path(__file__).resolve().parent.parent


def start_worker(
    queue: str,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    settings: str = "config.settings.test",
    loglevel: str = "WARNING",
    log_file=None,
    env: dict | None = None,
) -> subprocess.Popen:
    """A worker process in its own process group (so a test can SIGKILL all of it). Its
    output goes to `log_file` (an open file) when given, else nowhere."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url(connection.settings_dict),  # the application role
        **(env or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            loglevel,
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file or subprocess.DEVNULL,
        stderr=log_file or subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen, *, kill: bool = False) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


@pytest.fixture
def worker_queue(transactional_db):
    """A fresh queue name; tasks sent by this process go there by default while the test runs."""
    from config.celery import app

    queue = f"rapport-test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous


@pytest.fixture
def celery_worker_queue(worker_queue):
    """One running worker on a queue of its own."""
    worker = start_worker(worker_queue)
    try:
        yield worker_queue
    finally:
        stop_worker(worker)
