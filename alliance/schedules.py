"""Check-in schedules: every N weeks on a weekday at a local time, the participant gets a link;
one reminder before it expires if it was not completed; expired unanswered check-ins are
counted, and N missed in a row raise an alert."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies.tenancy import agency_scope, scopes_disabled

from . import services
from .delivery import (
    Message,
    deliveries_cancel,
    message_deadline,
    message_renderer,
    participant_message_schedule,
)
from .models import (
    Alert,
    AlertRule,
    AlertStatus,
    CheckInRequest,
    CheckInSchedule,
    DeliveryKind,
)

REMINDER_BEFORE_EXPIRY = timedelta(days=1)


def schedule_next_due(
    schedule: CheckInSchedule, after: datetime, *, first: bool = False
) -> datetime:
    """The first scheduled local weekday and time strictly after `after`, `every_weeks` apart
    from the last one, or the very next one for a schedule just `first` set (computed in the
    participant's zone, so 10:00 stays 10:00 across DST)."""
    zone = zoneinfo.ZoneInfo(schedule.participant.time_zone)
    local = after.astimezone(zone)
    days_ahead = (schedule.weekday - local.weekday()) % 7
    candidate = datetime.combine(
        local.date() + timedelta(days=days_ahead), schedule.local_time, tzinfo=zone
    )
    if candidate <= local:
        candidate += timedelta(weeks=1)
    if not first:  # after a sent one, keep the cadence
        candidate += timedelta(weeks=schedule.every_weeks - 1)
    return candidate


def checkin_schedule_set(
    *, participant, every_weeks: int | None, weekday: int = 0, local_time=None, channel: str = "sms"
) -> CheckInSchedule | None:
    """Set or stop (every_weeks None) a participant's schedule. An invite of the old schedule
    that has not gone out yet (held by quiet hours, say) is cancelled either way."""
    schedule = CheckInSchedule.objects.filter(participant=participant).first()
    if schedule:
        deliveries_cancel(kind=DeliveryKind.CHECKIN_INVITE, subject_id=schedule.pk)
    if every_weeks is None:
        if schedule:
            CheckInSchedule.objects.filter(pk=schedule.pk).update(is_active=False)
        return None
    schedule = schedule or CheckInSchedule(agency=participant.agency, participant=participant)
    schedule.every_weeks, schedule.weekday, schedule.channel, schedule.is_active = (
        every_weeks,
        weekday,
        channel,
        True,
    )
    if local_time is not None:
        schedule.local_time = local_time
    if isinstance(schedule.local_time, str):  # the model's default on a new row
        schedule.local_time = time.fromisoformat(schedule.local_time)
    # `occurrence` keeps counting across changes: it is each invite's delivery version, so a
    # number already used would find that invite's row and send nothing.
    schedule.participant = participant
    schedule.next_due_at = schedule_next_due(schedule, timezone.now(), first=True)
    schedule.save()
    return schedule


def checkin_schedules_run(now: datetime | None = None) -> int:
    """Due schedules get a check-in-link delivery (its token is made when it is sent) and
    move to their next date. Across agencies; each acted on in its own scope."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            CheckInSchedule.objects.filter(is_active=True, next_due_at__lte=now).values_list(
                "agency_id", "id"
            )
        )
    for agency_id, schedule_id in due:
        with agency_scope(agency_id), transaction.atomic():
            schedule = (
                CheckInSchedule.objects.select_for_update(skip_locked=True)
                .select_related("participant")
                .filter(pk=schedule_id, next_due_at__lte=now)
                .first()
            )
            if schedule is None:
                continue  # another sweeper has it
            schedule.occurrence += 1
            participant_message_schedule(
                kind=DeliveryKind.CHECKIN_INVITE,
                subject_id=schedule.pk,
                subject_version=schedule.occurrence,
                participant=schedule.participant,
                due_at=schedule.next_due_at,
            )
            schedule.next_due_at = schedule_next_due(schedule, schedule.next_due_at)
            schedule.save(update_fields=["occurrence", "next_due_at"])
    return len(due)


def _local(moment, zone):
    return formats.date_format(timezone.localtime(moment, zoneinfo.ZoneInfo(zone)), "D j M, H:i")


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
    checkin, raw = services.checkin_request_create(
        participant=participant, channel=delivery.channel, created_by=None
    )
    CheckInRequest.objects.filter(pk=checkin.pk).update(schedule=schedule)
    participant_message_schedule(
        kind=DeliveryKind.CHECKIN_REMINDER,
        subject_id=checkin.pk,
        participant=participant,
        due_at=checkin.expires_at - REMINDER_BEFORE_EXPIRY,
    )
    link = settings.SITE_URL + reverse("checkin", args=[raw])
    text = _(
        "Hi, how are things going with your peer? Two minutes: %(link)s (works until %(expires)s)"
    ) % {
        "link": link,
        "expires": _local(checkin.expires_at, participant.time_zone),
    }
    return Message(_("A quick question from Rapport"), text, link)


@message_renderer(DeliveryKind.CHECKIN_REMINDER)
def checkin_reminder_message(delivery) -> Message | None:
    """Opened is not completed: only a completed check-in silences the reminder."""
    checkin = (
        CheckInRequest.objects.select_related("participant").filter(pk=delivery.subject_id).first()
    )
    if checkin is None or checkin.status != "open":
        return None
    participant = checkin.participant
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


def checkins_count_missed(now: datetime | None = None) -> int:
    """Scheduled check-ins that expired unanswered are counted once; when the latest N
    scheduled ones of a participant were all missed (N = the agency's setting), an alert."""
    now = now or timezone.now()
    with scopes_disabled():
        expired = list(
            CheckInRequest.objects.filter(
                schedule__isnull=False,
                completed_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__lte=now,
                missed_counted=False,
            ).values_list("agency_id", "id", "participant_id")
        )
    for agency_id, request_id, participant_id in expired:
        with agency_scope(agency_id), transaction.atomic():
            if not CheckInRequest.objects.filter(pk=request_id, missed_counted=False).update(
                missed_counted=True
            ):
                continue
            agency = CheckInRequest.objects.select_related("agency").get(pk=request_id).agency
            latest = list(
                CheckInRequest.objects.filter(
                    participant_id=participant_id, schedule__isnull=False, expires_at__lte=now
                )
                .order_by("-expires_at")
                .values_list("completed_at", flat=True)[: agency.alert_missed_in_a_row]
            )
            missed_run = len(latest) == agency.alert_missed_in_a_row and all(
                done is None for done in latest
            )
            # One alert per run: while the run's alert is unresolved, more misses add none.
            # (Missed-check-in alerts are the ones without a response.)
            already_raised = (
                Alert.objects.filter(participant_id=participant_id, response__isnull=True)
                .exclude(status=AlertStatus.RESOLVED)
                .exists()
            )
            if missed_run and not already_raised:
                Alert.objects.create(
                    agency=agency,
                    participant_id=participant_id,
                    rules=[AlertRule.MISSED],
                    practices=["consistency"],
                )
    return len(expired)
