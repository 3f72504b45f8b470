"""Texts the commitments app sends: commitment reminders, the participant's follow-through
question, missed commitments, and the links and reminders of scheduled check-ins. Each renderer
is registered with messaging and runs when the message is sent (docs/decisions.md 35-36)."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.formatting import format_moment
from agencies.tokens import token_new
from alliance.checkins import services, text_checkins
from alliance.checkins.messages import checkin_invite_message_for
from alliance.checkins.models import CheckInRequest
from alliance.commitments.models import (
    CheckInSchedule,
    Commitment,
    CommitmentStatus,
)
from alliance.commitments.services import FOLLOW_THROUGH_VALID, REMINDER_BEFORE_EXPIRY
from alliance.messaging.models import DeliveryChannel, DeliveryKind
from alliance.messaging.services import (
    Message,
    message_deadline,
    message_renderer,
    participant_message_schedule,
    staff_email_text,
)
from participants.models import CulturalProfile, ParticipantStatus


def _local(moment: datetime, zone: str) -> str:
    return format_moment(moment, zone)


def _open_commitment(delivery) -> Commitment | None:
    commitment = (
        Commitment.objects.select_related("participant", "staff__user")
        .filter(pk=delivery.subject_id)
        .first()
    )
    if commitment is None or commitment.version != delivery.subject_version:
        return None
    return commitment


@message_renderer(DeliveryKind.COMMITMENT_REMINDER)
def commitment_reminder_message(delivery) -> Message | None:
    commitment = _open_commitment(delivery)
    if commitment is None or commitment.status != CommitmentStatus.OPEN:
        return None
    if delivery.membership_id:  # to the staff member who promised
        when = _local(commitment.due_at, commitment.agency.time_zone)
        link = settings.SITE_URL + reverse(
            "participant_commitments", args=[commitment.agency.slug, commitment.participant_id]
        )
        if delivery.channel != DeliveryChannel.IN_APP:  # email names no one (decision 87)
            text = _("Reminder: a commitment you made is due by %(when)s.") % {"when": when}
            return Message(_("Rapport reminder"), f"{text}\n{staff_email_text(link)}", link)
        text = _("Reminder: you promised %(name)s “%(what)s” by %(when)s.") % {
            "name": commitment.participant.preferred_name,
            "what": commitment.what,
            "when": when,
        }
        return Message(_("Rapport reminder"), text, link)
    # Texts to participants name nobody: a phone's lock screen shows them (decision 54).
    when = _local(commitment.due_at, commitment.participant.time_zone)
    text = _(
        "Hi, a reminder about what you planned for %(when)s. Your peer is here if you want to talk."
    ) % {"when": when}
    return Message(_("A message from Rapport"), text)


@message_deadline(DeliveryKind.COMMITMENT_REMINDER)
def commitment_reminder_deadline(delivery):
    commitment = _open_commitment(delivery)
    return commitment.due_at if commitment else None


@message_renderer(DeliveryKind.FOLLOW_THROUGH)
def follow_through_message(delivery) -> Message | None:
    """The one-tap question. Creates the link's token now (only its hash is kept)."""
    commitment = _open_commitment(delivery)
    if (
        commitment is None
        or commitment.status == CommitmentStatus.CANCELLED
        or commitment.participant_answered_at
    ):
        return None
    raw, hashed = token_new()
    Commitment.objects.filter(pk=commitment.pk).update(followup_token_hash=hashed)
    link = settings.SITE_URL + reverse("follow_through", args=[raw])
    expires = _local(timezone.now() + FOLLOW_THROUGH_VALID, commitment.participant.time_zone)
    text = _(
        "Hi, did your peer follow through as promised? One tap: %(link)s (works until %(expires)s)"
    ) % {"link": link, "expires": expires}
    return Message(_("A quick question from Rapport"), text, link)


@message_deadline(DeliveryKind.FOLLOW_THROUGH)
def follow_through_deadline(delivery):
    commitment = _open_commitment(delivery)
    return commitment.due_at + FOLLOW_THROUGH_VALID if commitment else None


@message_renderer(DeliveryKind.COMMITMENT_MISSED)
def commitment_missed_message(delivery) -> Message | None:
    commitment = _open_commitment(delivery)
    if commitment is None:
        return None
    link = settings.SITE_URL + reverse(
        "participant_commitments", args=[commitment.agency.slug, commitment.participant_id]
    )
    if delivery.channel != DeliveryChannel.IN_APP:  # email names no one (decision 87)
        text = _("A commitment was missed.")
        return Message(
            _("Rapport: a commitment was missed"), f"{text}\n{staff_email_text(link)}", link
        )
    who = commitment.staff.user.get_full_name() if commitment.staff else _("The participant")
    text = _("%(who)s missed a commitment to %(name)s: “%(what)s”.") % {
        "who": who,
        "name": commitment.participant.preferred_name,
        "what": commitment.what,
    }
    return Message(_("Rapport: a commitment was missed"), text, link)


@message_renderer(DeliveryKind.CHECKIN_INVITE)
def checkin_invite_message(delivery) -> Message | None:
    """Creates the check-in request now: the link's token exists only in this message."""
    schedule = (
        CheckInSchedule.objects.select_related("participant", "agency")
        .filter(pk=delivery.subject_id)
        .first()
    )
    if schedule is None or not schedule.is_active:
        return None
    participant = schedule.participant
    if participant.status == ParticipantStatus.DISCHARGED:
        return None  # no new links after discharge (docs/decisions.md 104)
    checkin, raw = services.checkin_request_create(
        participant=participant, channel=delivery.channel, created_by=None, scheduled=True
    )
    participant_message_schedule(
        kind=DeliveryKind.CHECKIN_REMINDER,
        subject_id=checkin.pk,
        participant=participant,
        due_at=checkin.expires_at - REMINDER_BEFORE_EXPIRY,
    )
    expires = _local(checkin.expires_at, participant.time_zone)
    if delivery.channel == DeliveryChannel.SMS:
        by_reply = CulturalProfile.objects.filter(
            participant=participant, checkin_by_reply=True
        ).exists()
        if by_reply:  # no link: the questions come one text at a time
            session = text_checkins.text_checkin_start(checkin)
            text = _(
                "Hi, how are things going with your peer? A few questions, one text at a time "
                "(until %(expires)s)."
            ) % {"expires": expires}
            return Message("", f"{text} {text_checkins.question_text(session, 0)}")
    return checkin_invite_message_for(checkin, raw, participant.time_zone, delivery.channel)


@message_renderer(DeliveryKind.CHECKIN_REMINDER)
def checkin_reminder_message(delivery) -> Message | None:
    """Opened is not completed: only a completed check-in silences the reminder."""
    checkin = (
        CheckInRequest.objects.select_related("participant").filter(pk=delivery.subject_id).first()
    )
    if checkin is None or checkin.status != "open":
        return None
    participant = checkin.participant
    if delivery.channel == DeliveryChannel.SMS and text_checkins.text_checkin_open(checkin):
        text = _("Hi, a reminder: you can finish the check-in by text until %(expires)s.") % {
            "expires": _local(checkin.expires_at, participant.time_zone)
        }
        return Message(_("A quick reminder from Rapport"), text)
    text = _("Hi, a reminder: the check-in link we sent on %(sent)s works until %(expires)s.") % {
        "sent": _local(checkin.created_at, participant.time_zone),
        "expires": _local(checkin.expires_at, participant.time_zone),
    }
    return Message(_("A quick reminder from Rapport"), text)


@message_deadline(DeliveryKind.CHECKIN_REMINDER)
def checkin_reminder_deadline(delivery):
    return (
        CheckInRequest.objects.filter(pk=delivery.subject_id)
        .values_list("expires_at", flat=True)
        .first()
    )
