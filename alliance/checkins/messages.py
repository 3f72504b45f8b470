"""Texts the check-ins app sends: new alerts to supervisors, and a check-in link sent now
by staff to the participant."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.formatting import format_moment
from agencies.models import User
from agencies.services import audit_record
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.checkins import services
from alliance.checkins.models import Alert, CheckInRequest
from alliance.messaging.models import Delivery, DeliveryChannel, DeliveryKind, DeliveryStatus
from alliance.messaging.services import (
    Message,
    message_renderer,
    participant_message_schedule,
    staff_email_text,
    staff_message_schedule,
    supervisors_of_agency,
)
from participants.models import Participant, ParticipantStatus

# Check-in links sent to the participant ---------------------------------------------------

WAITING = [DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENDING]


def participant_local_time(moment: datetime, zone: str) -> str:
    """A moment as the participant reads it: in their time zone, in the active language
    (the delivery mechanism renders each message in the recipient's language)."""
    return format_moment(moment, zone)


def checkin_invite_message_for(
    checkin: CheckInRequest, raw_token: str, zone: str, channel: str
) -> Message:
    """The text that carries a check-in link (scheduled or sent now): the link and until when
    it works, in the participant's time zone and language. By text, it also offers to answer
    by reply (alliance/checkins/text_checkins.py)."""
    link = settings.SITE_URL + reverse("checkin", args=[raw_token])
    text = _(
        "Hi, how are things going with your peer? Two minutes: %(link)s (works until %(expires)s)"
    ) % {"link": link, "expires": participant_local_time(checkin.expires_at, zone)}
    if channel == DeliveryChannel.SMS:
        text += " " + _("No internet? Reply 1 to answer by text.")
    return Message(_("A quick question from Rapport"), text, link)


@transaction.atomic
def checkin_link_send(*, participant: Participant, sent_by: User) -> str | None:
    """Send the participant a one-off check-in link now, by their preferred consented
    channel, through the delivery mechanism (the sweep hands it to a Celery worker). The link
    is made when the message goes out, so its token exists only in the message. Returns the
    channel, or None when they have consented to none. Refused (ValidationError) for a
    discharged participant. While one is waiting to go out, another tap sends nothing more."""
    services.checkin_link_allowed(participant)
    waiting = Delivery.objects.filter(
        kind=DeliveryKind.CHECKIN_LINK, participant=participant, status__in=WAITING
    ).first()
    if waiting is not None:  # a double click, or a second tap before the first went out
        return waiting.channel
    now = timezone.now()
    delivery = participant_message_schedule(
        kind=DeliveryKind.CHECKIN_LINK,
        subject_id=participant.pk,
        participant=participant,
        due_at=now,
        subject_version=int(now.timestamp()),
    )
    if delivery is None:
        return None
    audit_record(
        agency=participant.agency,
        actor=sent_by,
        action="checkin_link.sent",
        target=participant,
    )
    return delivery.channel


@message_renderer(DeliveryKind.CHECKIN_LINK)
def checkin_link_message(delivery) -> Message | None:
    """Creates the check-in request now: the link's token exists only in this message."""
    participant = delivery.participant
    if participant.status == ParticipantStatus.DISCHARGED:
        return None
    checkin, raw = services.checkin_request_create(
        participant=participant, channel=delivery.channel, created_by=None
    )
    return checkin_invite_message_for(checkin, raw, participant.time_zone, delivery.channel)


# Alerts, to staff ---------------------------------------------------------------------------

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


@message_renderer(DeliveryKind.SUPERVISOR_REQUEST, per_subject=True)
def supervisor_request_message(delivery) -> Message | None:
    alert = (
        Alert.objects.select_related("participant", "agency").filter(pk=delivery.subject_id).first()
    )
    if alert is None or alert.status == "resolved":
        return None
    link = settings.SITE_URL + reverse("alert_detail", args=[alert.agency.slug, alert.pk])
    subject = _("Rapport: a participant asked to talk with a supervisor")
    if delivery.channel == DeliveryChannel.IN_APP:
        text = _("%(name)s asked to talk with a supervisor after a check-in.") % {
            "name": alert.participant.preferred_name
        }
        return Message(subject, f"{text}\n{link}", link)
    # Staff email names no one (docs/decisions.md 87): the link asks for a sign-in.
    text = _("A participant asked to talk with a supervisor after a check-in.")
    return Message(subject, f"{text}\n{staff_email_text(link)}", link)
