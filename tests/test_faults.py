"""Faults with real parts: PostgreSQL restarts while participants are checking in.

Requests during the restart may fail; once the database is back there is no 5xx, and no
partial write ever: every spent link has exactly one stored response. (Worker SIGKILL, Redis
restart and two sweepers at once are in tests/test_delivery_worker.py.)"""

import random
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from agencies.scale_data import checkin_links_create, seed_scale
from agencies.tenancy import agency_scope
from alliance.models import CheckInRequest, CheckInResponse
from bench.loadgen import round_trip
from bench.server import gunicorn_start, gunicorn_stop

pytestmark = pytest.mark.faults


def postgres(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=120,
    )


def postgres_ready() -> bool:
    return (
        subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], timeout=10).returncode
        == 0
    )


def test_a_postgresql_restart_loses_nothing_and_leaves_no_5xx_once_back(transactional_db):
    agency_id = seed_scale(
        agencies=1, participants_per_agency=20, weeks=1, prefix="faults"
    ).agencies[0]
    tokens = iter(checkin_links_create(agency_id=agency_id, count=1500))
    with agency_scope(agency_id):
        before = CheckInResponse.objects.count()
    db = connection.settings_dict
    server, base_url = gunicorn_start(
        settings="config.settings.test",
        env={"DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"},
        workers=2,
    )
    rng = random.Random(1)
    trips: list[tuple[float, float, str | None]] = []  # (started, ended, problem or None)
    lock = threading.Lock()
    stop = threading.Event()

    def participant():
        while not stop.is_set():
            with lock:
                token = next(tokens, None)
            if token is None:
                return
            started = time.monotonic()
            try:
                problem = round_trip(base_url, f"/c/{token}/", rng)
            except OSError as error:
                problem = type(error).__name__
            trips.append((started, time.monotonic(), problem))
            if problem is not None:
                time.sleep(0.2)  # as a person would before trying again; keeps links for later

    threads = [threading.Thread(target=participant) for _ in range(4)]
    try:
        [t.start() for t in threads]
        time.sleep(3)
        restart_began = time.monotonic()
        postgres("restart")
        for _ in range(60):
            if postgres_ready():
                break
            time.sleep(0.5)
        back = time.monotonic()
        deadline = back + 90  # until enough participants have checked in since it came back
        while time.monotonic() < deadline and sum(t[0] > back for t in list(trips)) < 12:
            time.sleep(0.5)
    finally:
        stop.set()
        [t.join() for t in threads]
        gunicorn_stop(server)
        if not postgres_ready():
            postgres("start")
        connection.close()  # the test's own connection died with the restart
    before_restart = [problem for started, ended, problem in trips if ended < restart_began]
    once_back = [problem for started, ended, problem in trips if started > back]
    assert before_restart and all(problem is None for problem in before_restart)
    assert once_back and all(problem is None for problem in once_back), once_back[:5]
    with agency_scope(agency_id):
        spent = CheckInRequest.objects.filter(completed_at__isnull=False).count()
        stored = CheckInResponse.objects.count()
    assert stored - before == spent - before  # no link spent without its response, or the reverse
    accepted = sum(problem is None for _started, _ended, problem in trips)
    assert stored - before >= accepted  # every accepted answer is stored
