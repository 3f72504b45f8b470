"""Celery tasks. They carry ids only (agency id first), never names, contact details or text,
and open the agency's scope themselves."""

import logging

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from agencies.tenancy import agency_scope

from . import delivery as delivery_mechanism

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def deliveries_sweep() -> int:
    """Every minute (beat): the housekeeping that makes messages due, then claim and enqueue
    every due delivery. Safe to run twice at once."""
    from .commitments import commitments_mark_overdue_missed
    from .notices import alerts_notify_new
    from .schedules import checkin_schedules_run, checkins_count_missed

    commitments_mark_overdue_missed()
    checkin_schedules_run()
    checkins_count_missed()
    alerts_notify_new()
    due = delivery_mechanism.sweep()
    for position, (agency_id, delivery_id) in enumerate(due):
        try:
            delivery_send.apply_async(args=[agency_id, delivery_id], retry=False)
        except OperationalError:
            # The broker is down: hand the rest back, so the first sweep after it returns
            # sends them (rather than waiting for them to go stale).
            delivery_mechanism.unclaim([pk for _agency, pk in due[position:]])
            log.warning(
                "broker unavailable: %d deliveries returned to the queue", len(due) - position
            )
            return position
    return len(due)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None
)
def delivery_send(self, agency_id: int, delivery_id: int) -> str:
    """Send one delivery. Redelivered after a worker crash (acks_late); the conditional claim
    inside `deliver` makes a second run a no-op unless the row was handed out again."""
    with agency_scope(agency_id):
        outcome = delivery_mechanism.deliver(delivery_id)
    if outcome == delivery_mechanism.Outcome.RETRY:
        raise self.retry(countdown=delivery_mechanism.retry_delay(self.request.retries + 1))
    log.info("delivery %s of agency %s: %s", delivery_id, agency_id, outcome)
    return outcome


@shared_task(ignore_result=True)
def staff_digests_send() -> int:
    """Hourly: at 08:00 in each agency's time zone, one email per staff member who chose the
    daily digest, listing what is waiting for them."""
    from .digests import digests_send_due

    return digests_send_due(timezone.now())
