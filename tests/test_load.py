"""A reduced load run: gunicorn on loopback with the test database, concurrent simulated
participants completing check-ins (each with a link of their own). No errors, and every
accepted answer stored exactly once. The full run (100 participants for 60 s) is `make load`.
"""

import time

import pytest
from django.db import connection

from agencies.tenancy import agency_scope
from alliance.checkins.models import CheckInRequest, CheckInResponse
from bench import loadgen
from bench.scale_data import checkin_links_create, seed_scale
from bench.server import gunicorn_start, gunicorn_stop
from tests import services
from tests.conftest import as_maintenance_role

pytestmark = pytest.mark.load

THREADS = 20
SECONDS = 10
LINKS = 3000  # more than 20 threads can use in 10 s on a small machine


def test_concurrent_participants_complete_checkins_without_errors(transactional_db):
    with as_maintenance_role():  # a bulk load (COPY), as in production
        seeded = seed_scale(agencies=1, participants_per_agency=60, weeks=3, prefix="load")
    agency_id = seeded.agencies[0]
    tokens = checkin_links_create(agency_id=agency_id, count=LINKS)
    with agency_scope(agency_id):
        before = CheckInResponse.objects.count()
    server, base_url = gunicorn_start(
        settings="config.settings.test",
        env={"DATABASE_URL": services.database_url(connection.settings_dict)},  # the app role
        workers=3,
    )
    try:
        started = time.monotonic()
        result = loadgen.run(
            base_url, [f"/c/{token}/" for token in tokens], threads=THREADS, seconds=SECONDS
        )
        elapsed = time.monotonic() - started
    finally:
        gunicorn_stop(server)
    print(
        f"\nload: {result.accepted} check-ins in {elapsed:.1f} s ({result.per_second:.1f}/s), "
        f"p50 {result.percentile(50) * 1000:.0f} ms, p95 {result.percentile(95) * 1000:.0f} ms, "
        f"{result.errors} errors"
    )
    assert result.errors == 0, result.error_samples
    assert result.accepted > 0
    with agency_scope(agency_id):
        stored = CheckInResponse.objects.count() - before
        spent = CheckInRequest.objects.filter(completed_at__isnull=False).count()
    assert stored == result.accepted
    assert result.accepted < LINKS, "the run used every link: raise LINKS"
    assert spent - before == stored  # seeded history: one completed request per response
