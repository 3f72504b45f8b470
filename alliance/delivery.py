"""The one delivery mechanism: reminders, check-in links, alerts and notices all go through it.

Life of a message:
1. A service schedules it: a `Delivery` row per (what, recipient, offset, channel), unique,
   due at a time. Scheduling twice finds the same row.
2. Every minute the beat runs `deliveries_sweep`, which claims due rows with
   `select_for_update(skip_locked=True)` (two sweepers never claim the same row), marks them
   queued and, after commit, enqueues `delivery_send(agency_id, delivery_id)` for each.
   Rows queued or sending for longer than RAPPORT_DELIVERY_STALE_SECONDS (a worker died) are
   queued again.
3. `deliver` claims the row (queued -> sending) with a conditional update, applies the
   participant's contact rules (consent, quiet hours, observances, weekly maximum), renders
   the text in the recipient's language, and hands it to the channel's transport. Transient
   errors are retried with backoff and jitter, at most RAPPORT_DELIVERY_MAX_ATTEMPTS attempts;
   then the row is marked failed, which staff see in the outbox.
"""

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from agencies.models import Membership, Role
from agencies.tenancy import scopes_disabled
from participants.models import ChannelConsent, CulturalProfile, Participant, ParticipantStatus

from .contact_policy import next_allowed_time, weekly_limit_reached_until
from .models import Delivery, DeliveryChannel, DeliveryStatus, ReminderPreference, StaffPreference
from .transports import Message, PermanentError, TransientError, transport_for

log = logging.getLogger(__name__)

__all__ = [
    "Message",
    "deliveries_cancel",
    "deliver",
    "delivery_schedule",
    "message_deadline",
    "message_renderer",
    "participant_message_schedule",
    "staff_message_schedule",
    "sweep",
]

SWEEP_BATCH = 1000
DIGEST_SUFFIX = "@digest"


class Outcome:
    SENT, SKIPPED, DEFERRED, RETRY, FAILED, GONE = (
        "sent",
        "skipped",
        "deferred",
        "retry",
        "failed",
        "gone",
    )


# Rendering ---------------------------------------------------------------------------------


_RENDERERS: dict[str, Callable] = {}
_DEADLINES: dict[str, Callable] = {}


def message_renderer(kind: str):
    """Register the function that writes the text of one kind of delivery. It receives the
    Delivery (inside its agency's scope, in the recipient's language) and returns a Message,
    or None when there is nothing to say any more (the row is then skipped). It runs only
    when the message is really sent, so it may create the link it carries."""

    def register(function):
        _RENDERERS[kind] = function
        return function

    return register


def message_deadline(kind: str):
    """Register the function that says until when a kind of message is useful (or None). A
    message held back by quiet hours past that moment is skipped, not sent late."""

    def register(function):
        _DEADLINES[kind] = function
        return function

    return register


# Scheduling --------------------------------------------------------------------------------


def delivery_schedule(
    *,
    agency_id: int,
    kind: str,
    subject_id: int,
    due_at: datetime,
    channel: str,
    participant: Participant | None = None,
    membership: Membership | None = None,
    offset_key: str = "",
    subject_version: int = 1,
) -> Delivery:
    """The row for this message, created if new. Idempotent."""
    recipient_key = f"p:{participant.pk}" if participant else f"m:{membership.pk}"
    delivery, _created = Delivery.objects.get_or_create(
        agency_id=agency_id,
        kind=kind,
        subject_id=subject_id,
        subject_version=subject_version,
        recipient_key=recipient_key,
        offset_key=offset_key,
        channel=channel,
        defaults={"due_at": due_at, "participant": participant, "membership": membership},
    )
    return delivery


def staff_message_schedule(
    *,
    kind: str,
    subject_id: int,
    membership: Membership,
    due_at: datetime,
    subject_version: int = 1,
    offset_key: str = "",
) -> list[Delivery]:
    """An in-app notification, and an email now or in the next daily digest, as the staff
    member prefers."""
    preference = (
        StaffPreference.objects.filter(membership=membership)
        .values_list("reminders", flat=True)
        .first()
        or ReminderPreference.IMMEDIATE
    )
    common = {
        "agency_id": membership.agency_id,
        "kind": kind,
        "subject_id": subject_id,
        "subject_version": subject_version,
        "membership": membership,
    }
    rows = [
        delivery_schedule(
            **common, due_at=due_at, channel=DeliveryChannel.IN_APP, offset_key=offset_key
        )
    ]
    if preference == ReminderPreference.DIGEST:
        rows.append(
            delivery_schedule(
                **common,
                due_at=due_at,
                channel=DeliveryChannel.EMAIL,
                offset_key=offset_key + DIGEST_SUFFIX,
            )
        )
    else:
        rows.append(
            delivery_schedule(
                **common, due_at=due_at, channel=DeliveryChannel.EMAIL, offset_key=offset_key
            )
        )
    return rows


def participant_channel(participant: Participant) -> str | None:
    """The participant's preferred channel among those they consented to (SMS, email)."""
    granted = {
        c.channel for c in ChannelConsent.objects.filter(participant=participant) if c.is_granted
    }
    preferred = (
        CulturalProfile.objects.filter(participant=participant)
        .values_list("preferred_channels", flat=True)
        .first()
        or []
    )
    for channel in [*preferred, DeliveryChannel.SMS, DeliveryChannel.EMAIL]:
        if channel in granted:
            return channel
    return None


def participant_message_schedule(
    *,
    kind: str,
    subject_id: int,
    participant: Participant,
    due_at: datetime,
    subject_version: int = 1,
    offset_key: str = "",
) -> Delivery | None:
    """A message to the participant on their preferred consented channel, or None when they
    have consented to none (consent is checked again when it is sent)."""
    channel = participant_channel(participant)
    if channel is None:
        return None
    return delivery_schedule(
        agency_id=participant.agency_id,
        kind=kind,
        subject_id=subject_id,
        due_at=due_at,
        channel=channel,
        participant=participant,
        offset_key=offset_key,
        subject_version=subject_version,
    )


def deliveries_cancel(*, kind: str, subject_id: int, subject_version: int | None = None) -> int:
    """Cancel the messages about `subject_id` that have not gone out yet."""
    rows = Delivery.objects.filter(
        kind=kind, subject_id=subject_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.QUEUED]
    )
    if subject_version is not None:
        rows = rows.filter(subject_version=subject_version)
    return rows.update(status=DeliveryStatus.CANCELLED)


# Sweeping (runs across agencies: a platform task) -----------------------------------------


def sweep(now: datetime | None = None) -> list[tuple[int, int]]:
    """Claim the due rows of every agency and return (agency id, delivery id) pairs to send.
    Safe with two sweepers running at once: a claimed row is locked and skipped by the other."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RAPPORT_DELIVERY_STALE_SECONDS)
    with scopes_disabled(), transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=DeliveryStatus.PENDING, due_at__lte=now)
                | Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING], queued_at__lt=stale)
            )
            .exclude(offset_key__endswith=DIGEST_SUFFIX)
            .order_by("due_at")
            .values_list("agency_id", "id")[:SWEEP_BATCH]
        )
        Delivery.objects.filter(id__in=[pk for _agency, pk in due]).update(
            status=DeliveryStatus.QUEUED, queued_at=now
        )
    return due


def unclaim(delivery_ids: list[int]) -> int:
    """Give claimed rows back to the next sweep (used when the broker cannot take them)."""
    with scopes_disabled():
        return Delivery.objects.filter(id__in=delivery_ids, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.PENDING
        )


# Sending (inside the agency's scope) ------------------------------------------------------


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s, 240 s."""
    return random.uniform(1, 30 * 2 ** max(attempt - 1, 0))  # noqa: S311


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, queued_at=now
    )
    if not claimed:
        return Outcome.GONE  # sent, cancelled, or another worker has it
    delivery = Delivery.objects.select_related("participant", "membership__user", "agency").get(
        pk=delivery_id
    )
    if delivery.participant_id:
        outcome, address, language = _participant_checks(delivery, now)
    else:
        outcome, address, language = _staff_checks(delivery)
    if outcome:
        return outcome
    renderer = _RENDERERS.get(delivery.kind)
    with translation.override(language):
        message = renderer(delivery) if renderer else None
    if message is None:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="nothing_to_say")
    try:
        with transaction.atomic():
            provider_id = transport_for(delivery.channel).send(
                delivery=delivery, address=address, message=message
            )
            _finish(
                delivery, DeliveryStatus.SENT, sent_at=timezone.now(), provider_id=provider_id or ""
            )
        return Outcome.SENT
    except TransientError as error:
        if delivery.attempts >= settings.RAPPORT_DELIVERY_MAX_ATTEMPTS:
            _finish(delivery, DeliveryStatus.FAILED, last_error=str(error)[:200])
            return Outcome.FAILED
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.QUEUED, last_error=str(error)[:200]
        )
        return Outcome.RETRY
    except PermanentError as error:
        _finish(delivery, DeliveryStatus.FAILED, last_error=str(error)[:200])
        return Outcome.FAILED


def _finish(delivery: Delivery, status: str, **fields) -> str:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, **fields)
    return Outcome.SKIPPED if status == DeliveryStatus.SKIPPED else status


def _staff_checks(delivery: Delivery):
    membership = delivery.membership
    if not membership.is_active or not membership.user.is_active:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="staff_inactive"), "", "en"
    return None, membership.user.email, delivery.agency.default_language


def _participant_checks(delivery: Delivery, now: datetime):
    """Consent, address, status, quiet hours, observances and the weekly maximum. Returns
    (outcome or None, address, language)."""
    participant = delivery.participant
    profile = CulturalProfile.objects.filter(participant=participant).first()
    language = profile.language if profile else delivery.agency.default_language
    if participant.status == ParticipantStatus.DISCHARGED:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="discharged"), "", language
    consent = ChannelConsent.objects.filter(
        participant=participant, channel=delivery.channel
    ).first()
    if consent is None or not consent.is_granted:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="no_consent"), "", language
    address = participant.phone if delivery.channel == DeliveryChannel.SMS else participant.email
    if not address:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="no_address"), "", language
    if profile is not None:
        allowed = next_allowed_time(profile=profile, time_zone=participant.time_zone, at=now)
        recent = list(
            Delivery.objects.filter(
                participant=participant,
                status=DeliveryStatus.SENT,
                sent_at__gt=now - timedelta(days=7),
            )
            .exclude(channel=DeliveryChannel.IN_APP)
            .values_list("sent_at", flat=True)
        )
        full_until = weekly_limit_reached_until(profile=profile, sent_times=recent, at=allowed)
        if full_until:
            allowed = next_allowed_time(
                profile=profile, time_zone=participant.time_zone, at=full_until
            )
        if allowed > now:
            return _defer(delivery, allowed, language), "", language
    return None, address, language


def _defer(delivery: Delivery, allowed: datetime, language: str) -> str:
    """Move the message to the next allowed time, or skip it if it would be pointless then."""
    deadline = _DEADLINES.get(delivery.kind)
    useful_until = deadline(delivery) if deadline else None
    if useful_until is not None and allowed >= useful_until:
        return _finish(delivery, DeliveryStatus.SKIPPED, skip_reason="pointless_after_quiet_time")
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, due_at=allowed, attempts=F("attempts") - 1
    )
    return Outcome.DEFERRED


def supervisors_of_agency() -> list[Membership]:
    return list(
        Membership.objects.filter(
            role__in=[Role.SUPERVISOR, Role.ADMIN], is_active=True
        ).select_related("user")
    )
