"""Faults with real parts: PostgreSQL restarts while participants are checking in.

Requests during the restart may fail; once the database is back there is no 5xx, and no
partial write ever: every spent link has exactly one stored response. (Worker SIGKILL, Redis
restart and two sweepers at once are in tests/test_delivery_worker.py.)"""

import random
import threading
import time

import pytest
from django.db import connection

from agencies.tenancy import agency_scope
from alliance.checkins.models import CheckInRequest, CheckInResponse
from bench.loadgen import round_trip
from bench.scale_data import checkin_links_create, seed_scale
from bench.server import gunicorn_start, gunicorn_stop
from tests import services
from tests.conftest import as_maintenance_role

pytestmark = pytest.mark.faults
TRIPS_BEFORE = 20  # round trips completed before the restart
TRIPS_AFTER = 12  # round trips started and completed after it


def test_a_postgresql_restart_loses_nothing_and_leaves_no_5xx_once_back(transactional_db):
    with as_maintenance_role():  # a bulk load (COPY), as in production
        agency_id = seed_scale(
            agencies=1, participants_per_agency=20, weeks=1, prefix="faults"
        ).agencies[0]
    tokens = iter(checkin_links_create(agency_id=agency_id, count=1500))
    with agency_scope(agency_id):
        before = CheckInResponse.objects.count()
    server, base_url = gunicorn_start(
        settings="config.settings.test",
        env={"DATABASE_URL": services.database_url(connection.settings_dict)},  # the app role
        workers=2,
    )
    rng = random.Random(1)
    trips: list[tuple[float, float, str | None]] = []  # (started, ended, problem or None)
    lock = threading.Lock()
    trip_done = threading.Condition()
    stop = threading.Event()

    def completed(since: float = 0.0) -> int:
        return sum(started > since for started, _ended, _problem in list(trips))

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
            with trip_done:
                trips.append((started, time.monotonic(), problem))
                trip_done.notify_all()
            if problem is not None:
                stop.wait(0.2)  # as a person would before trying again; keeps links for later

    threads = [threading.Thread(target=participant) for _ in range(4)]
    try:
        [t.start() for t in threads]
        with trip_done:  # participants are checking in
            assert trip_done.wait_for(lambda: completed() >= TRIPS_BEFORE, timeout=300)
        restart_began = time.monotonic()
        services.postgres_restart()  # the suite's own server; returns once it accepts again
        back = time.monotonic()
        with trip_done:  # enough participants have checked in since it came back
            trip_done.wait_for(lambda: completed(since=back) >= TRIPS_AFTER, timeout=300)
    finally:
        stop.set()
        [t.join() for t in threads]
        gunicorn_stop(server)
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
