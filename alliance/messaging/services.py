"""The one delivery mechanism: reminders, check-in links, alerts and notices all go through it.

Life of a message:
1. A service schedules it: a `Delivery` row per (what, recipient, offset, channel), unique,
   due at a time. Scheduling twice finds the same row.
2. Every minute the beat runs `deliveries_sweep`, which claims due rows with
   `select_for_update(skip_locked=True)` (two sweepers never claim the same row), marks them
   queued and, after commit, enqueues `deliveries_send(agency_id, delivery_ids)` per batch of
   up to SEND_BATCH rows of one agency. Rows queued or sending for longer than
   RAPPORT_DELIVERY_STALE_SECONDS (a worker died) are queued again.
3. `deliveries_deliver` claims the batch's rows (queued -> sending) with one conditional
   update, loads them and what the participant's contact rules need (consent, quiet hours,
   observances, weekly maximum) in a constant number of queries, renders each text in the
   recipient's language (once per subject where the kind allows), and hands it to the
   channel's transport. In-app notices are written together with their 'sent' marks in one
   transaction (exactly once); email and SMS go one by one, each marked sent as soon as the
   provider accepts it. Transient errors are retried per delivery with backoff and jitter, at
   most RAPPORT_DELIVERY_MAX_ATTEMPTS attempts; then the row is marked failed, which staff see
   in the outbox.
"""

import logging
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Membership, Role
from agencies.services import audit_record
from agencies.tenancy import ScopeError, current_agency_id, scopes_disabled
from alliance.messaging.contact_policy import next_allowed_time, weekly_limit_reached_until
from alliance.messaging.models import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    Notification,
    PausedNumber,
    ReminderPreference,
    StaffPreference,
)
from alliance.messaging.transports import Message, PermanentError, TransientError, transport_for
from participants.models import ChannelConsent, CulturalProfile, Participant, ParticipantStatus

log = logging.getLogger(__name__)

__all__ = [
    "Message",
    "deliveries_cancel",
    "deliveries_deliver",
    "deliver",
    "delivery_schedule",
    "message_deadline",
    "message_renderer",
    "participant_message_schedule",
    "staff_message_schedule",
    "sweep",
]

SWEEP_BATCH = 1000
SEND_BATCH = 50  # deliveries of one agency per send task
# Answers to the participant's own text: sent at once, whatever the quiet hours or the weekly
# maximum (they asked); answers to STOP, START and HELP also whatever the consent (the law).
ANSWER_KINDS = {DeliveryKind.TEXT_REPLY, DeliveryKind.KEYWORD_REPLY}
DIGEST_SUFFIX = "@digest"


class Outcome:
    SENT, SKIPPED, DEFERRED, RETRY, FAILED, GONE, UNKNOWN = (
        "sent",
        "skipped",
        "deferred",
        "retry",
        "failed",
        "gone",
        "unknown",  # the transport broke: left 'sending', for the stale path, as after a crash
    )


# Rendering ---------------------------------------------------------------------------------


_RENDERERS: dict[str, Callable] = {}
_DEADLINES: dict[str, Callable] = {}
_PER_SUBJECT: set[str] = set()


def message_renderer(kind: str, *, per_subject: bool = False):
    """Register the function that writes the text of one kind of delivery. It receives the
    Delivery (inside its agency's scope, in the recipient's language) and returns a Message,
    or None when there is nothing to say any more (the row is then skipped). It runs only
    when the message is really sent, so it may create the link it carries.

    `per_subject=True` promises that the text depends only on the subject (id and version),
    the language and the channel, not on the recipient, and that rendering has no side
    effects: a batch then renders it once per subject and channel (an alert to every
    supervisor).

    Staff emails name no participant and quote no promise (docs/decisions.md 81): they say
    that something needs a look and link to it (`staff_email_text`); in-app texts may."""

    def register(function):
        _RENDERERS[kind] = function
        if per_subject:
            _PER_SUBJECT.add(kind)
        else:
            _PER_SUBJECT.discard(kind)
        return function

    return register


def staff_email_text(link: str) -> str:
    """The end of every staff email: the link, which asks for a sign-in."""
    return _("Sign in to Rapport to see it:\n%(link)s") % {"link": link}


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


def send_batches(due: list[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    """The swept (agency id, delivery id) pairs as (agency id, delivery ids) batches of at most
    SEND_BATCH, one agency each, oldest due first."""
    by_agency: dict[int, list[int]] = {}
    for agency_id, pk in due:
        by_agency.setdefault(agency_id, []).append(pk)
    return [
        (agency_id, ids[start : start + SEND_BATCH])
        for agency_id, ids in by_agency.items()
        for start in range(0, len(ids), SEND_BATCH)
    ]


def unclaim(delivery_ids: list[int]) -> int:
    """Give claimed rows back to the next sweep (used when the broker cannot take them)."""
    with scopes_disabled():
        return Delivery.objects.filter(id__in=delivery_ids, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.PENDING
        )


# Sending (inside the agency's scope) ------------------------------------------------------


def _without_message(error: Exception) -> str:
    """An unexpected error for the log: its type and where it happened, not its message,
    which may quote the text being sent or the address it was going to."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__name__}\n{frames}"


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s, 240 s."""
    return random.uniform(1, 30 * 2 ** max(attempt - 1, 0))  # noqa: S311


@dataclass
class BatchResult:
    """What became of each delivery id of a batch, and in how many seconds to try again the
    ones that met a transient error (each alone)."""

    outcomes: dict[int, str] = field(default_factory=dict)
    retry_in: dict[int, float] = field(default_factory=dict)


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery: a batch of one (see `deliveries_deliver`)."""
    return deliveries_deliver(delivery_ids=[delivery_id], now=now).outcomes[delivery_id]


# queued -> sending, in one statement, for the ids still queued. Raw SQL for RETURNING (the
# ORM's update() only counts); the agency condition is the ORM scope's, spelled out.
_CLAIM = (
    "UPDATE messaging_delivery SET status = %s, attempts = attempts + 1, queued_at = %s "
    "WHERE agency_id = %s AND id = ANY(%s::bigint[]) AND status = %s RETURNING id"
)


def deliveries_deliver(*, delivery_ids: list[int], now: datetime | None = None) -> BatchResult:
    """Send a batch of one agency's deliveries, in its scope. The rule it enforces: each row is
    acted on by the one worker whose conditional claim (queued -> sending) took it; an id not
    claimed is GONE (sent, cancelled, or another worker has it).

    The queries do not grow with the batch for in-app notices and for rows skipped or
    deferred: one claim, one load, one query each for profiles, consents and recent sends, a
    renderer call per subject where the kind allows it, and one transaction that writes every
    in-app notice with its 'sent' mark (exactly once). Email and SMS go one by one: the row is
    re-checked as still ours just before the provider call and marked sent right after it
    accepts, so a crash mid-batch re-sends at most the one message in flight (decision 37);
    the rows not reached are still 'sending' and come back through the stale path."""
    now = now or timezone.now()
    agency_id = current_agency_id()
    if agency_id is None:
        raise ScopeError("deliveries_deliver() runs inside its agency's scope.")
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            [DeliveryStatus.SENDING, now, agency_id, list(delivery_ids), DeliveryStatus.QUEUED],
        )
        claimed = {pk for (pk,) in cursor.fetchall()}
    result = BatchResult({pk: Outcome.GONE for pk in delivery_ids if pk not in claimed})
    if claimed:
        # Whether texting the participant's current number is paused (repeated 'undelivered'
        # reports, alliance/messaging/sms.py), in the same query.
        paused = PausedNumber.objects.filter(
            participant=OuterRef("participant"),
            phone=OuterRef("participant__phone"),
            resumed_at__isnull=True,
        )
        rows = list(
            Delivery.objects.select_related("participant", "membership__user", "agency")
            .annotate(number_paused=Exists(paused))
            .filter(pk__in=claimed)
        )
        _Batch(rows, now, result).run()
    return result


class _Batch:
    """The per-batch state: what the contact rules need, loaded once; texts rendered once
    per subject where the kind allows; status writes gathered and done together."""

    def __init__(self, rows: list[Delivery], now: datetime, result: BatchResult):
        self.rows, self.now, self.result = rows, now, result
        participant_ids = {row.participant_id for row in rows if row.participant_id}
        self.profiles, self.consents, self.recent = {}, {}, {}
        if participant_ids:
            self.profiles = {
                p.participant_id: p
                for p in CulturalProfile.objects.filter(participant_id__in=participant_ids)
            }
            self.consents = {
                (c.participant_id, c.channel): c
                for c in ChannelConsent.objects.filter(participant_id__in=participant_ids)
            }
            limited = [pk for pk, p in self.profiles.items() if p.max_contacts_per_week]
            if limited:
                for participant_id, sent_at in (
                    Delivery.objects.filter(
                        participant_id__in=limited,
                        status=DeliveryStatus.SENT,
                        sent_at__gt=now - timedelta(days=7),
                    )
                    .exclude(channel=DeliveryChannel.IN_APP)
                    .values_list("participant_id", "sent_at")
                ):
                    self.recent.setdefault(participant_id, []).append(sent_at)
        self.texts: dict[tuple, Message | None] = {}
        self.transports: dict[str, object] = {}
        self.skipped: dict[str, list[int]] = {}
        self.deferred: list[Delivery] = []

    def run(self) -> None:
        in_app = [row for row in self.rows if row.channel == DeliveryChannel.IN_APP]
        others = [row for row in self.rows if row.channel != DeliveryChannel.IN_APP]
        try:
            ready = [item for row in in_app if (item := self._prepare(row))]
            if ready:
                self._send_in_app(ready)
            for row in others:  # in order: a send counts towards the next one's weekly maximum
                if item := self._prepare(row):
                    self._send_one(*item)
        finally:
            for transport in self.transports.values():
                if hasattr(transport, "close"):
                    transport.close()
        self._write_skipped_and_deferred()

    # Checks and text

    def _prepare(self, row: Delivery) -> tuple[Delivery, str, Message] | None:
        """(row, address, text) when the message should go now; otherwise its outcome is
        recorded and None returned."""
        if row.participant_id:
            address, language = self._participant_checks(row)
        else:
            address, language = self._staff_checks(row)
        if address is None:
            return None
        try:
            message = self._render(row, language)
        except Exception as error:  # a renderer's bug must not sink the rest of the batch
            log.error("rendering delivery %s failed: %s", row.pk, _without_message(error))
            self._transient(row, f"render: {type(error).__name__}")
            return None
        if message is None:
            self._skip(row, "nothing_to_say")
            return None
        return row, address, message

    def _staff_checks(self, row: Delivery) -> tuple[str | None, str]:
        membership = row.membership
        if not membership.is_active or not membership.user.is_active:
            return self._skip(row, "staff_inactive"), ""
        # The language the staff member chose in their profile, else the agency's.
        return membership.user.email, membership.user.language or row.agency.default_language

    def _participant_checks(self, row: Delivery) -> tuple[str | None, str]:
        """Consent, address, status, quiet hours, observances and the weekly maximum."""
        participant = row.participant
        profile = self.profiles.get(participant.pk)
        language = profile.language if profile else row.agency.default_language
        if participant.status == ParticipantStatus.DISCHARGED:
            return self._skip(row, "discharged"), language
        consent = self.consents.get((participant.pk, row.channel))
        if row.kind != DeliveryKind.KEYWORD_REPLY and (consent is None or not consent.is_granted):
            return self._skip(row, "no_consent"), language
        address = participant.phone if row.channel == DeliveryChannel.SMS else participant.email
        if not address:
            return self._skip(row, "no_address"), language
        if row.channel == DeliveryChannel.SMS and row.number_paused:
            return self._skip(row, "number_paused"), language
        if profile is not None and row.kind not in ANSWER_KINDS:
            zone = participant.time_zone
            allowed = next_allowed_time(profile=profile, time_zone=zone, at=self.now)
            full_until = weekly_limit_reached_until(
                profile=profile, sent_times=self.recent.get(participant.pk, []), at=allowed
            )
            if full_until:
                allowed = next_allowed_time(profile=profile, time_zone=zone, at=full_until)
            if allowed > self.now:
                self._defer(row, allowed)
                return None, language
        return address, language

    def _render(self, row: Delivery, language: str) -> Message | None:
        renderer = _RENDERERS.get(row.kind)
        if renderer is None:
            return None
        key = None
        if row.kind in _PER_SUBJECT:
            key = (row.kind, row.subject_id, row.subject_version, language, row.channel)
            if key in self.texts:
                return self.texts[key]
        with translation.override(language):
            message = renderer(row)
        if key is not None:
            self.texts[key] = message
        return message

    # Sending

    def _transport(self, channel: str):
        if channel not in self.transports:
            self.transports[channel] = transport_for(channel)
        return self.transports[channel]

    def _send_in_app(self, ready: list[tuple[Delivery, str, Message]]) -> None:
        """Every notice and every 'sent' mark in one transaction: a crash leaves none of them,
        and the rows (still 'sending') come back through the stale path."""
        with transaction.atomic():
            self._transport(DeliveryChannel.IN_APP).send_batch(ready)
            Delivery.objects.filter(pk__in=[row.pk for row, _a, _m in ready]).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), provider_id=""
            )
        for row, _address, _message in ready:
            self.result.outcomes[row.pk] = Outcome.SENT

    def _send_one(self, row: Delivery, address: str, message: Message) -> None:
        # Still ours? A batch that ran past the stale time may have been handed out again;
        # then the other worker sends it, not us. Renewing queued_at keeps it ours meanwhile.
        still_ours = Delivery.objects.filter(
            pk=row.pk, status=DeliveryStatus.SENDING, queued_at=row.queued_at
        ).update(queued_at=timezone.now())
        if not still_ours:
            self.result.outcomes[row.pk] = Outcome.GONE
            return
        try:
            provider_id = self._transport(row.channel).send(
                delivery=row, address=address, message=message
            )
        except TransientError as error:
            self._transient(row, str(error))
            return
        except PermanentError as error:
            self._fail(row, str(error))
            return
        except Exception as error:  # a transport's bug: whether it went out is unknown
            log.error("sending delivery %s failed: %s", row.pk, _without_message(error))
            self.result.outcomes[row.pk] = Outcome.UNKNOWN  # as after a crash: the stale path
            return
        sent_at = timezone.now()
        Delivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENT, sent_at=sent_at, provider_id=provider_id or ""
        )
        self.result.outcomes[row.pk] = Outcome.SENT
        if row.participant_id:
            self.recent.setdefault(row.participant_id, []).append(sent_at)

    # Outcomes that are not 'sent'

    def _skip(self, row: Delivery, reason: str) -> None:
        self.skipped.setdefault(reason, []).append(row.pk)
        self.result.outcomes[row.pk] = Outcome.SKIPPED

    def _defer(self, row: Delivery, allowed: datetime) -> None:
        """Move the message to the next allowed time, or skip it if it would be pointless
        then."""
        deadline = _DEADLINES.get(row.kind)
        useful_until = deadline(row) if deadline else None
        if useful_until is not None and allowed >= useful_until:
            self._skip(row, "pointless_after_quiet_time")
            return
        row.status, row.due_at, row.attempts = DeliveryStatus.PENDING, allowed, row.attempts - 1
        self.deferred.append(row)
        self.result.outcomes[row.pk] = Outcome.DEFERRED

    def _transient(self, row: Delivery, error: str) -> None:
        if row.attempts >= settings.RAPPORT_DELIVERY_MAX_ATTEMPTS:
            self._fail(row, error)
            return
        Delivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.QUEUED, last_error=error[:200]
        )
        self.result.outcomes[row.pk] = Outcome.RETRY
        self.result.retry_in[row.pk] = retry_delay(row.attempts)

    def _fail(self, row: Delivery, error: str) -> None:
        Delivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.FAILED, last_error=error[:200]
        )
        self.result.outcomes[row.pk] = Outcome.FAILED

    def _write_skipped_and_deferred(self) -> None:
        for reason, ids in self.skipped.items():
            Delivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SKIPPED, skip_reason=reason
            )
        if self.deferred:
            Delivery.objects.bulk_update(self.deferred, ["status", "due_at", "attempts"])


def supervisors_of_agency() -> list[Membership]:
    return list(
        Membership.objects.filter(
            role__in=[Role.SUPERVISOR, Role.ADMIN], is_active=True
        ).select_related("user")
    )


# Staff: notifications and preferences ----------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> bool:
    """Mark an in-app notification read (once: a second tap changes nothing)."""
    return bool(
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


@transaction.atomic
def staff_reminders_set(*, membership: Membership, reminders: str) -> StaffPreference:
    """How this staff member wants their email reminders: as they happen, or a daily digest."""
    preference, _created = StaffPreference.objects.update_or_create(
        agency=membership.agency, membership=membership, defaults={"reminders": reminders}
    )
    audit_record(
        agency=membership.agency,
        action="staff.reminders_set",
        target=membership,
    )
    return preference
