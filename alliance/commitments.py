"""Consistency commitments (practice 8): a promise with a time, its reminders, and a ledger of
what happened. Writes run inside the agency's scope except the overdue sweep, which finds work
across agencies and then acts inside each one's scope."""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies.models import Membership, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope, scopes_disabled
from agencies.tokens import token_new
from participants.models import Participant

from .delivery import (
    Message,
    deliveries_cancel,
    message_deadline,
    message_renderer,
    participant_message_schedule,
    staff_message_schedule,
    supervisors_of_agency,
)
from .models import (
    Commitment,
    CommitmentEvent,
    CommitmentEventKind,
    CommitmentStatus,
    DeliveryKind,
    ProposedBy,
)

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


@transaction.atomic
def commitment_create(
    *,
    participant: Participant,
    promised_by: str,
    staff: Membership | None,
    what: str,
    due_at: datetime,
    created_by: User,
    request=None,
) -> Commitment:
    commitment = Commitment.objects.create(
        agency=participant.agency,
        participant=participant,
        promised_by=promised_by,
        staff=staff if promised_by == ProposedBy.STAFF else (staff or participant.assigned_peer),
        what=what.strip(),
        due_at=due_at,
        created_by=created_by,
    )
    CommitmentEvent.objects.create(
        agency=participant.agency,
        commitment=commitment,
        kind=CommitmentEventKind.CREATED,
        by=created_by,
        new_due_at=due_at,
    )
    _schedule_messages(commitment)
    audit_record(
        agency=participant.agency,
        actor=created_by,
        action="commitment.created",
        target=commitment,
        request=request,
    )
    return commitment


@transaction.atomic
def commitment_close(
    *, commitment: Commitment, outcome: str, by: User | None, request=None
) -> Commitment:
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
        request=request,
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
    request=None,
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
        request=request,
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


# Messages ----------------------------------------------------------------------------------


def _local(moment: datetime, zone: str) -> str:
    return formats.date_format(timezone.localtime(moment, zoneinfo.ZoneInfo(zone)), "D j M, H:i")


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
        text = _("Reminder: you promised %(name)s “%(what)s” by %(when)s.") % {
            "name": commitment.participant.preferred_name,
            "what": commitment.what,
            "when": when,
        }
        return Message(_("Rapport reminder"), f"{text}\n{link}", link)
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
    who = commitment.staff.user.get_full_name() if commitment.staff else _("The participant")
    link = settings.SITE_URL + reverse(
        "participant_commitments", args=[commitment.agency.slug, commitment.participant_id]
    )
    text = _("%(who)s missed a commitment to %(name)s: “%(what)s”.") % {
        "who": who,
        "name": commitment.participant.preferred_name,
        "what": commitment.what,
    }
    return Message(_("Rapport: a commitment was missed"), f"{text}\n{link}", link)
