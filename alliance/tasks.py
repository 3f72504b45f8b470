"""The minute sweep: each feature's housekeeping that makes messages due, then the messaging app
sends what is due. It lives above the feature apps because it calls each of them."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from alliance.checkins.messages import alerts_notify_new
from alliance.checkins.services import checkins_count_missed
from alliance.commitments.services import checkin_schedules_run, commitments_mark_overdue_missed
from alliance.messaging import services as delivery_mechanism
from alliance.messaging.tasks import deliveries_send

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def deliveries_sweep() -> int:
    """Every minute (beat): the housekeeping that makes messages due, then claim and enqueue
    every due delivery. Safe to run twice at once."""
    commitments_mark_overdue_missed()
    checkin_schedules_run()
    checkins_count_missed()
    alerts_notify_new()
    due = delivery_mechanism.sweep()
    batches = delivery_mechanism.send_batches(due)
    for position, (agency_id, delivery_ids) in enumerate(batches):
        try:
            deliveries_send.apply_async(args=[agency_id, delivery_ids], retry=False)
        except OperationalError:
            # The broker is down: hand the rest back, so the first sweep after it returns
            # sends them (rather than waiting for them to go stale).
            left = [pk for _agency, ids in batches[position:] for pk in ids]
            delivery_mechanism.unclaim(left)
            log.warning("broker unavailable: %d deliveries returned to the queue", len(left))
            return len(due) - len(left)
    return len(due)
