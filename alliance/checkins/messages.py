"""Texts the check-ins app sends: new alerts to supervisors."""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.tenancy import agency_scope, scopes_disabled
from alliance.checkins.models import Alert
from alliance.messaging.models import Delivery, DeliveryChannel, DeliveryKind
from alliance.messaging.services import (
    Message,
    message_renderer,
    staff_email_text,
    staff_message_schedule,
    supervisors_of_agency,
)

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
    if delivery.channel == DeliveryChannel.IN_APP:
        text = _("A check-in from %(name)s needs a look.") % {
            "name": alert.participant.preferred_name
        }
        return Message(_("Rapport: a check-in needs a look"), text, link)
    # Staff email names no one (docs/decisions.md 81): the link asks for a sign-in.
    text = _("A check-in needs a look.")
    return Message(_("Rapport: a check-in needs a look"), f"{text}\n{staff_email_text(link)}", link)
