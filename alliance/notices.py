"""Telling staff about alerts: the assigned peer and the supervisors get an in-app notice and
an email (now or in their digest). Scheduled by the sweeper, not at submit time, so a
participant's check-in stays a handful of queries."""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies.tenancy import agency_scope, scopes_disabled

from .delivery import Message, message_renderer, staff_message_schedule, supervisors_of_agency
from .models import Alert, Delivery, DeliveryKind

LOOK_BACK = timedelta(days=2)


def alerts_notify_new(now: datetime | None = None) -> int:
    now = now or timezone.now()
    with scopes_disabled():
        notified = Delivery.objects.filter(kind=DeliveryKind.ALERT).values("subject_id")
        fresh = list(
            Alert.objects.filter(created_at__gte=now - LOOK_BACK)
            .exclude(id__in=notified)
            .values_list("agency_id", "id")
        )
    for agency_id, alert_id in fresh:
        with agency_scope(agency_id):
            alert = Alert.objects.select_related("participant__assigned_peer").get(pk=alert_id)
            recipients = {m.pk: m for m in supervisors_of_agency()}
            peer = alert.participant.assigned_peer
            if peer is not None and peer.is_active:
                recipients[peer.pk] = peer
            for membership in recipients.values():
                staff_message_schedule(
                    kind=DeliveryKind.ALERT, subject_id=alert.pk, membership=membership, due_at=now
                )
    return len(fresh)


@message_renderer(DeliveryKind.ALERT, per_subject=True)
def alert_message(delivery) -> Message | None:
    alert = (
        Alert.objects.select_related("participant", "agency").filter(pk=delivery.subject_id).first()
    )
    if alert is None or alert.status == "resolved":
        return None
    link = settings.SITE_URL + reverse("alert_detail", args=[alert.agency.slug, alert.pk])
    text = _("A check-in from %(name)s needs a look.") % {"name": alert.participant.preferred_name}
    return Message(_("Rapport: a check-in needs a look"), f"{text}\n{link}", link)


# Portal links, sent to the participant ------------------------------------------------------


def portal_link_send(*, participant, sent_by) -> bool:
    """Schedule the participant's portal link on their preferred consented channel, now. The
    link itself is made when the message is sent (only its hash is kept), and replaces older
    ones. Returns False when the participant has consented to no channel. The version is the
    current second, so a double click sends once."""
    from .delivery import participant_message_schedule

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
    from participants.services import portal_link_create

    participant = delivery.participant
    link, raw = portal_link_create(participant=participant, created_by=None)
    url = settings.SITE_URL + reverse("portal_home", args=[raw])
    expires = formats.date_format(
        timezone.localtime(link.expires_at, zoneinfo.ZoneInfo(participant.time_zone)), "D j M"
    )
    text = _(
        "Hi, here is your link to see and update what we keep about you: %(url)s "
        "(works until %(expires)s)"
    ) % {"url": url, "expires": expires}
    return Message(_("A message from Rapport"), text, url)
