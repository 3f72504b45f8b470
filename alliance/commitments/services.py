"""Consistency commitments and check-in schedules (practice 8): every write, with its
audit event and the messages it schedules."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from agencies.models import Membership, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.commitments.models import (
    CheckInSchedule,
    Commitment,
    CommitmentEvent,
    CommitmentEventKind,
    CommitmentStatus,
)
from alliance.messaging.models import DeliveryKind
from alliance.messaging.services import (
    deliveries_cancel,
    participant_message_schedule,
    staff_message_schedule,
    supervisors_of_agency,
)
from participants.models import Participant, ProposedBy

FOLLOW_THROUGH_AFTER = timedelta(hours=1)
FOLLOW_THROUGH_VALID = timedelta(days=3)


class CommitmentClosed(Exception):
    """The commitment is no longer open (kept, missed or cancelled meanwhile)."""


def _reminder_offsets(agency) -> list[int]:
    return sorted(
        {
            h
            for h in (
                agency.commitment_first_reminder_hours,
                agency.commitment_second_reminder_hours,
            )
            if h
        },
        reverse=True,
    )


def _schedule_messages(commitment: Commitment) -> None:
    """Reminders before the due time (agency offsets) to whoever promised, and, for a staff
    promise, the participant's one-tap follow-through question after it."""
    now = timezone.now()
    for hours in _reminder_offsets(commitment.agency):
        remind_at = commitment.due_at - timedelta(hours=hours)
        if remind_at <= now:
            continue
        common = {
            "kind": DeliveryKind.COMMITMENT_REMINDER,
            "subject_id": commitment.pk,
            "subject_version": commitment.version,
            "due_at": remind_at,
            "offset_key": f"-{hours}h",
        }
        if commitment.promised_by == ProposedBy.STAFF and commitment.staff_id:
            staff_message_schedule(membership=commitment.staff, **common)
        elif commitment.promised_by == ProposedBy.PARTICIPANT:
            participant_message_schedule(participant=commitment.participant, **common)
    if commitment.promised_by == ProposedBy.STAFF:
        participant_message_schedule(
            kind=DeliveryKind.FOLLOW_THROUGH,
            subject_id=commitment.pk,
            subject_version=commitment.version,
            participant=commitment.participant,
            due_at=commitment.due_at + FOLLOW_THROUGH_AFTER,
            offset_key="+1h",
        )


def _cancel_messages(commitment: Commitment) -> None:
    for kind in (DeliveryKind.COMMITMENT_REMINDER, DeliveryKind.FOLLOW_THROUGH):
        deliveries_cancel(kind=kind, subject_id=commitment.pk, subject_version=commitment.version)


class AfterTheFact:
    """What already became of a commitment recorded after the fact (`commitment_create`)."""

    KEPT_ON_TIME = "kept_on_time"
    KEPT_LATE = "kept_late"
    MISSED = "missed"


@transaction.atomic
def commitment_create(
    *,
    participant: Participant,
    promised_by: str,
    staff: Membership | None,
    what: str,
    due_at: datetime,
    created_by: User,
    made_at: datetime | None = None,
    already: str = "",
) -> Commitment:
    """Record a promise. `made_at` is when it was made (default now; earlier for a promise
    recorded after the fact). `already` (an AfterTheFact value) records one whose outcome is
    already known: it is closed at once with that outcome, and only a kept staff promise
    keeps its follow-through question (as when staff mark it kept); no reminders are sent
    for a time already past (decision 177)."""
    now = timezone.now()
    commitment = Commitment.objects.create(
        agency=participant.agency,
        participant=participant,
        promised_by=promised_by,
        staff=staff if promised_by == ProposedBy.STAFF else (staff or participant.assigned_peer),
        what=what.strip(),
        due_at=due_at,
        made_at=made_at or now,
        created_by=created_by,
    )
    CommitmentEvent.objects.create(
        agency=participant.agency,
        commitment=commitment,
        kind=CommitmentEventKind.CREATED,
        by=created_by,
        at=made_at or now,
        new_due_at=due_at,
    )
    if already != AfterTheFact.MISSED:
        _schedule_messages(commitment)
    audit_record(
        agency=participant.agency,
        actor=created_by,
        action="commitment.created",
        target=commitment,
    )
    if already:
        outcome = (
            CommitmentStatus.MISSED if already == AfterTheFact.MISSED else CommitmentStatus.KEPT
        )
        Commitment.objects.filter(pk=commitment.pk).update(
            status=outcome,
            closed_at=now,
            kept_on_time=None
            if outcome == CommitmentStatus.MISSED
            else already == AfterTheFact.KEPT_ON_TIME,
        )
        commitment.refresh_from_db()
        CommitmentEvent.objects.create(
            agency=commitment.agency, commitment=commitment, kind=outcome, by=created_by, at=now
        )
        audit_record(
            agency=commitment.agency,
            actor=created_by,
            action=f"commitment.{outcome}",
            target=commitment,
        )
    return commitment


@transaction.atomic
def commitment_close(*, commitment: Commitment, outcome: str, by: User | None) -> Commitment:
    """Mark kept, missed or cancelled. Kept on time means by the due time plus the agency's
    grace. Pending reminders are cancelled. Closing twice raises CommitmentClosed."""
    now = timezone.now()
    kept_on_time = None
    if outcome == CommitmentStatus.KEPT:
        grace = timedelta(minutes=commitment.agency.commitment_grace_minutes)
        kept_on_time = now <= commitment.due_at + grace
    closed = Commitment.objects.filter(pk=commitment.pk, status=CommitmentStatus.OPEN).update(
        status=outcome, closed_at=now, kept_on_time=kept_on_time
    )
    if not closed:
        raise CommitmentClosed()
    commitment.refresh_from_db()
    CommitmentEvent.objects.create(
        agency=commitment.agency, commitment=commitment, kind=outcome, by=by, at=now
    )
    if outcome != CommitmentStatus.KEPT:
        deliveries_cancel(
            kind=DeliveryKind.FOLLOW_THROUGH,
            subject_id=commitment.pk,
            subject_version=commitment.version,
        )
    deliveries_cancel(
        kind=DeliveryKind.COMMITMENT_REMINDER,
        subject_id=commitment.pk,
        subject_version=commitment.version,
    )
    audit_record(
        agency=commitment.agency,
        actor=by,
        action=f"commitment.{outcome}",
        target=commitment,
        actor_label="" if by else "system",
    )
    return commitment


@transaction.atomic
def commitment_renegotiate(
    *,
    commitment: Commitment,
    new_due_at: datetime,
    reason: str,
    asked_by: str,
    by: User,
) -> Commitment:
    """Move an open commitment to a new time: its pending reminders are cancelled and new ones
    scheduled (the version keys them apart)."""
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if locked.status != CommitmentStatus.OPEN:
        raise CommitmentClosed()
    _cancel_messages(locked)
    old_due_at = locked.due_at
    locked.due_at, locked.version, locked.renegotiated = new_due_at, locked.version + 1, True
    locked.save(update_fields=["due_at", "version", "renegotiated"])
    CommitmentEvent.objects.create(
        agency=locked.agency,
        commitment=locked,
        kind=CommitmentEventKind.RENEGOTIATED,
        by=by,
        old_due_at=old_due_at,
        new_due_at=new_due_at,
        asked_by=asked_by,
        reason=reason.strip(),
    )
    _schedule_messages(locked)
    audit_record(
        agency=locked.agency,
        actor=by,
        action="commitment.renegotiated",
        target=locked,
    )
    return locked


def commitment_participant_answer(*, commitment: Commitment, kept: bool) -> bool:
    """The participant's one-tap answer; recorded once, beside the staff member's own mark."""
    answered = Commitment.objects.filter(
        pk=commitment.pk, participant_answered_at__isnull=True
    ).update(participant_says_kept=kept, participant_answered_at=timezone.now())
    if answered:
        kind = (
            CommitmentEventKind.PARTICIPANT_CONFIRMED
            if kept
            else CommitmentEventKind.PARTICIPANT_DENIED
        )
        CommitmentEvent.objects.create(
            agency=commitment.agency, commitment=commitment, kind=kind, by_participant=True
        )
    return bool(answered)


def commitments_mark_overdue_missed(now: datetime | None = None) -> int:
    """Open commitments past their due time plus the agency's grace become missed, and the
    agency's supervisors are told. Finds the work across agencies, acts in each one's scope."""
    now = now or timezone.now()
    with scopes_disabled():
        overdue = list(
            Commitment.objects.filter(status=CommitmentStatus.OPEN, due_at__lt=now).values_list(
                "agency_id", "id", "due_at", "agency__commitment_grace_minutes"
            )
        )
    marked = 0
    for agency_id, commitment_id, due_at, grace in overdue:
        if due_at + timedelta(minutes=grace) > now:
            continue
        with agency_scope(agency_id):
            commitment = Commitment.objects.select_related("agency").get(pk=commitment_id)
            try:
                commitment_close(commitment=commitment, outcome=CommitmentStatus.MISSED, by=None)
            except CommitmentClosed:
                continue
            for supervisor in supervisors_of_agency():
                staff_message_schedule(
                    kind=DeliveryKind.COMMITMENT_MISSED,
                    subject_id=commitment.pk,
                    subject_version=commitment.version,
                    membership=supervisor,
                    due_at=now,
                )
            marked += 1
    return marked


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
