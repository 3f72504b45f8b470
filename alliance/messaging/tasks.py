"""Celery tasks that send messages. They carry ids only (agency id first), never names,
contact details or text, and open the agency's scope themselves."""

import logging
from collections import Counter

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from agencies.tenancy import agency_scope
from alliance.messaging import services as delivery_mechanism

log = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None
)
def deliveries_send(self, agency_id: int, delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of one agency's deliveries. Redelivered after a worker crash (acks_late);
    the conditional claim inside `deliveries_deliver` makes a second run skip every row
    already taken. A delivery that met a transient error is sent again alone, later."""
    return _send(self, agency_id, delivery_ids)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None
)
def delivery_send(self, agency_id: int, delivery_id: int) -> dict[str, int]:
    """The one-delivery task of earlier releases, kept for messages still in the queue
    during a deploy: a batch of one."""
    return _send(self, agency_id, [delivery_id])


def _send(task, agency_id: int, delivery_ids: list[int]) -> dict[str, int]:
    with agency_scope(agency_id):
        result = delivery_mechanism.deliveries_deliver(delivery_ids=delivery_ids)
    # Back to the queue this batch came from (as Task.retry does), each alone.
    queue = (task.request.delivery_info or {}).get("routing_key")
    for delivery_id, countdown in result.retry_in.items():
        try:
            deliveries_send.apply_async(
                args=[agency_id, [delivery_id]], countdown=countdown, queue=queue, retry=False
            )
        except OperationalError:
            # Left queued: the sweeper hands it out again once it is stale.
            log.warning("broker unavailable: delivery %s waits for the stale sweep", delivery_id)
    tally = Counter(result.outcomes.values())
    log.info("deliveries of agency %s: %s", agency_id, dict(tally))
    return dict(tally)


@shared_task(ignore_result=True)
def staff_digests_send() -> int:
    """Hourly: at 08:00 in each agency's time zone, one email per staff member who chose the
    daily digest, listing what is waiting for them."""
    from alliance.messaging.digests import digests_send_due

    return digests_send_due(timezone.now())
