"""Delivery with real parts: PostgreSQL, the Redis broker and real worker processes.

1,000 due messages and two sweepers running at once give exactly 1,000 deliveries; a worker
killed with SIGKILL in the middle of a batch (held at its last step by another transaction)
still ends with exactly one delivery each; after Redis restarts,
pending deliveries go out on the next sweep. Messages are staff in-app notices, whose
transport writes a row: what arrived can be counted exactly."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from agencies.models import Role
from agencies.tenancy import scopes_disabled
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus, Notification
from alliance.tasks import deliveries_sweep
from tests import services
from tests.celery_worker import start_worker, stop_worker
from tests.factories import make_agency, make_alert, make_member, make_participant

pytestmark = pytest.mark.celery_worker
MESSAGES = 1000


def due_messages(count: int) -> None:
    """`count` in-app notices about one alert, due now, for one staff member."""
    agency = make_agency()
    peer = make_member(agency, Role.PEER)
    alert = make_alert(make_participant(agency, peer=peer))
    past = timezone.now() - timedelta(minutes=1)
    with scopes_disabled():
        Delivery.objects.bulk_create(
            [
                Delivery(
                    agency=agency,
                    kind=DeliveryKind.ALERT,
                    subject_id=alert.pk,
                    membership=peer,
                    recipient_key=f"m:{peer.pk}",
                    offset_key=str(n),
                    channel="in_app",
                    due_at=past,
                )
                for n in range(count)
            ]
        )


def counts() -> tuple[int, int]:
    with scopes_disabled():
        return (
            Notification.objects.count(),
            Delivery.objects.filter(status=DeliveryStatus.SENT).count(),
        )


def wait_until_sent(
    expected: int, seconds: float, sweep_every: float | None = None
) -> tuple[int, int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sweep_every:
            deliveries_sweep()
        if counts()[1] >= expected:
            break
        time.sleep(sweep_every or 0.5)
    return counts()


def assert_each_exactly_once(expected: int) -> None:
    with scopes_disabled():
        assert Notification.objects.count() == expected
        assert Notification.objects.values("delivery").distinct().count() == expected
        assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == expected


def test_two_sweepers_and_a_real_worker_deliver_each_message_once(worker_queue):
    due_messages(MESSAGES)
    worker = start_worker(worker_queue, pool="prefork", concurrency=2)
    try:
        barrier = threading.Barrier(2)

        def sweeper():
            try:
                barrier.wait()
                deliveries_sweep()
            finally:
                connection.close()

        threads = [threading.Thread(target=sweeper) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        wait_until_sent(MESSAGES, seconds=240)
    finally:
        stop_worker(worker)
    assert_each_exactly_once(MESSAGES)


def hold_the_notice_of(delivery_id: int):
    """Another transaction writes this delivery's notice and does not commit: the batch that
    holds the delivery stops at its last step (writing its notices and 'sent' marks), waiting
    on the unique key, until this transaction ends."""
    import psycopg

    db = connection.settings_dict
    holder = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=False
    )
    with scopes_disabled():
        row = Delivery.objects.get(pk=delivery_id)
    # The application role, past Django: the platform-wide bypass, for this transaction only.
    holder.execute("SELECT set_config('rapport.all_agencies', 'on', true)")
    holder.execute(
        "INSERT INTO messaging_notification (agency_id, membership_id, delivery_id, text, link,"
        " created_at) VALUES (%s, %s, %s, 'held', '', now())",
        [row.agency_id, row.membership_id, row.pk],
    )
    return holder


def a_batch_is_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@override_settings(RAPPORT_DELIVERY_STALE_SECONDS=3)
def test_a_worker_killed_mid_batch_still_delivers_each_message_once(worker_queue):
    due_messages(MESSAGES)
    with scopes_disabled():
        ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    holder = hold_the_notice_of(ids[MESSAGES // 2])
    worker = start_worker(worker_queue, pool="prefork", concurrency=2)
    try:
        deliveries_sweep()
        deadline = time.monotonic() + 120
        while not a_batch_is_waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
        stop_worker(worker, kill=True)  # SIGKILL to the whole worker, mid-batch
        with scopes_disabled():
            sending = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
        assert sending >= 2, "no batch was cut off in the middle"
        assert counts()[1] < MESSAGES
        holder.rollback()  # the dead worker's transaction ends without a commit
        worker = start_worker(worker_queue, pool="prefork", concurrency=2)
        # The dead worker's messages are never acknowledged; the sweeper hands out its stale
        # rows again.
        wait_until_sent(MESSAGES, seconds=240, sweep_every=1.0)
    finally:
        holder.close()
        stop_worker(worker)
    assert_each_exactly_once(MESSAGES)


def test_after_a_redis_restart_pending_deliveries_go_out_on_the_next_sweep(worker_queue):
    """The suite's own Redis (tests/services.py) stops and starts again, empty."""
    due_messages(50)
    services.redis_stop()
    try:
        assert not services.redis_up()
        deliveries_sweep()  # the broker is down: nothing can be enqueued
        with scopes_disabled():
            assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 50
    finally:
        services.redis_start()  # waits until it answers
    worker = start_worker(worker_queue)
    try:
        deliveries_sweep()
        wait_until_sent(50, seconds=120)
    finally:
        stop_worker(worker)
    assert_each_exactly_once(50)
