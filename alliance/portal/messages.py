"""Texts the portal sends: the participant's portal link."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.formatting import format_moment
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from alliance.messaging.services import (
    Message,
    message_renderer,
    participant_message_schedule,
)
from participants.services import portal_link_create

# Portal links, sent to the participant ------------------------------------------------------

WAITING = (DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


def portal_link_send(*, participant, sent_by) -> bool:
    """Schedule the participant's portal link on their preferred consented channel, now. The
    link itself is made when the message is sent (only its hash is kept), and replaces older
    ones. Returns False when the participant has consented to no channel. The version is the
    current second; and while one is waiting to go out, another click sends nothing more (a
    double click that straddles a second sent two)."""
    if Delivery.objects.filter(
        kind=DeliveryKind.PORTAL_LINK, participant=participant, status__in=WAITING
    ).exists():
        return True
    delivery = participant_message_schedule(
        kind=DeliveryKind.PORTAL_LINK,
        subject_id=participant.pk,
        participant=participant,
        due_at=timezone.now(),
        subject_version=int(timezone.now().timestamp()),
    )
    return delivery is not None


@message_renderer(DeliveryKind.PORTAL_LINK)
def portal_link_message(delivery) -> Message | None:
    participant = delivery.participant
    link, raw = portal_link_create(participant=participant, created_by=None)
    url = settings.SITE_URL + reverse("portal_home", args=[raw])
    expires = format_moment(link.expires_at, participant.time_zone)
    text = _(
        "Hi, here is your link to see and update what we keep about you: %(url)s "
        "(works until %(expires)s)"
    ) % {"url": url, "expires": expires}
    return Message(_("A message from Rapport"), text, url)
