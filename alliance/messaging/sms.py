"""Two-way SMS: the agency's sender, texts coming in, delivery reports.

An inbound text is handled inside its agency's scope, once per provider message id:
1. STOP words (English and Spanish, see KEYWORDS) revoke the participant's consent to texts,
   end what was going on by text (listeners registered with `on_texts_stopped`), tell the
   peer in the app, and confirm once. START words restore a consent the participant had
   revoked; HELP words answer the agency's help text. These answers go whatever the consent.
2. Anything else goes to the conversations registered with `text_conversation` (the check-in
   by reply, alliance/checkins/text_checkins.py): messaging sits below checkins, so it asks them
   through this registry instead of importing them.
3. A number Rapport does not know gets one generic answer, and nothing is stored.

Answers to a participant are deliveries (kind TEXT_REPLY or KEYWORD_REPLY) of a TextReply
row that holds a topic and ids, never words; they are sent as soon as the webhook's
transaction commits, not at the next sweep, and show in the outbox like every text."""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.tenancy import agency_scope
from alliance.messaging.models import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    PausedNumber,
    SmsSender,
    TextInbound,
    TextReply,
)
from alliance.messaging.providers import DeliveryReport, InboundText, SenderConfig
from alliance.messaging.providers.base import ReportStatus
from participants.models import ChannelConsent, Participant, ParticipantStatus

log = logging.getLogger(__name__)

STOP, START, HELP = "stop", "start", "help"
# The carriers' standard words (CTIA; Twilio's defaults) and their Spanish counterparts. A
# keyword is the whole text, whatever the case, accents or punctuation around it.
KEYWORDS = {
    STOP: {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ALTO", "PARAR", "DETENER"},
    START: {"START", "UNSTOP", "COMENZAR"},
    HELP: {"HELP", "INFO", "AYUDA"},
}
# 'YES' ('SÍ') restores texts only while the participant's own STOP is in force: any other
# time it is an ordinary answer (docs/decisions.md).
START_WHEN_STOPPED = {"YES", "SI"}

_ACCENTS = str.maketrans("ÁÉÍÓÚÜÑ", "AEIOUUN")


def normalised(words: str) -> str:
    return re.sub(r"[^A-Z0-9 ]", "", words.strip().upper().translate(_ACCENTS)).strip()


def keyword_of(words: str) -> str:
    word = normalised(words)
    for keyword, spellings in KEYWORDS.items():
        if word in spellings:
            return keyword
    return ""


# Sender and addresses -------------------------------------------------------------------------


def sms_sender_config(agency_id: int) -> SenderConfig:
    """The agency's sender; credentials and sender it leaves blank are the platform's."""
    row = SmsSender.objects.filter(agency_id=agency_id).first()
    own_account = bool(row and row.account_sid and row.auth_token)
    return SenderConfig(
        provider=row.provider if row else "twilio",
        account_sid=row.account_sid if own_account else settings.TWILIO_ACCOUNT_SID,
        auth_token=row.auth_token if own_account else settings.TWILIO_AUTH_TOKEN,
        from_number=(row.from_number if row else "")
        or ("" if row and row.messaging_service_sid else settings.TWILIO_FROM_NUMBER),
        messaging_service_sid=(row.messaging_service_sid if row else "")
        or ("" if row and row.from_number else settings.TWILIO_MESSAGING_SERVICE_SID),
    )


def status_callback_url(agency_id: int) -> str:
    slug = Agency.objects.filter(pk=agency_id).values_list("slug", flat=True).get()
    return settings.SITE_URL + reverse("sms_status", args=[slug])


# What other apps register -------------------------------------------------------------------

Conversation = Callable[[list[Participant], str], bool]
_CONVERSATIONS: list[Conversation] = []
_STOP_LISTENERS: list[Callable[[Participant], None]] = []
_REPLY_RENDERERS: dict[str, Callable[[TextReply], str | None]] = {}


def text_conversation(function: Conversation) -> Conversation:
    """Register a handler of inbound words: f(participants with that number, words) -> True
    when it took them (and queued its answers with `reply_send`)."""
    if function not in _CONVERSATIONS:
        _CONVERSATIONS.append(function)
    return function


def on_texts_stopped(function):
    """Register f(participant), called in the STOP's transaction."""
    if function not in _STOP_LISTENERS:
        _STOP_LISTENERS.append(function)
    return function


def text_reply_renderer(topic: str):
    """Register f(TextReply) -> the words of the answer (in the active language), or None."""

    def register(function):
        _REPLY_RENDERERS[topic] = function
        return function

    return register


# Answers ------------------------------------------------------------------------------------


def reply_send(
    *, participant: Participant, topic: str, data: dict | None = None, keyword: bool = False
) -> Delivery:
    """Queue an answer to the participant; it goes when the transaction commits."""
    now = timezone.now()
    reply = TextReply.objects.create(
        agency_id=participant.agency_id, participant=participant, topic=topic, data=data or {}
    )
    delivery = Delivery.objects.create(
        agency_id=participant.agency_id,
        kind=DeliveryKind.KEYWORD_REPLY if keyword else DeliveryKind.TEXT_REPLY,
        subject_id=reply.pk,
        participant=participant,
        recipient_key=f"p:{participant.pk}",
        channel=DeliveryChannel.SMS,
        due_at=now,
        status=DeliveryStatus.QUEUED,
        queued_at=now,
    )
    agency_id = participant.agency_id
    transaction.on_commit(lambda: _send_now(agency_id, delivery.pk))
    return delivery


def _send_now(agency_id: int, delivery_id: int) -> None:
    from alliance.messaging.services import deliveries_deliver

    with agency_scope(agency_id):
        deliveries_deliver(delivery_ids=[delivery_id])  # a failure: the stale path retries


def reply_text(reply: TextReply) -> str | None:
    renderer = _REPLY_RENDERERS.get(reply.topic)
    return renderer(reply) if renderer else None


def help_text(agency_id: int) -> str:
    own = SmsSender.objects.filter(agency_id=agency_id).values_list("help_text", flat=True).first()
    return own or _(
        "This number sends messages from your recovery support program. Reply STOP to stop "
        "texts, START to get them again. For anything else, contact your peer specialist."
    )


@text_reply_renderer("help")
def _help(reply: TextReply) -> str:
    return help_text(reply.agency_id)


@text_reply_renderer("stopped")
def _stopped(reply: TextReply) -> str:
    return _("You will get no more texts from this number. Reply START to get them again.")


@text_reply_renderer("started")
def _started(reply: TextReply) -> str:
    return _("Texts are on again. Reply STOP to stop them, HELP for help.")


@text_reply_renderer("unread")
def _unread(reply: TextReply) -> str:
    return _(
        "This number cannot read messages. Please contact your peer specialist directly. "
        "Reply HELP for help, STOP to stop texts."
    )


def unknown_number_text() -> str:
    return _("This number does not take messages. Reply STOP to stop texts.")


# Inbound ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handled:
    """What the webhook answers directly: words for a number Rapport does not know, or ''."""

    direct_reply: str = ""


def _participants_with(number: str) -> list[Participant]:
    rows = list(
        Participant.objects.filter(phone=number)
        .select_related("agency", "assigned_peer")
        .order_by("-created_at")
    )
    # The active ones first: a discharged record sharing a number comes last.
    return sorted(rows, key=lambda p: p.status == ParticipantStatus.DISCHARGED)


def text_received(*, agency: Agency, inbound: InboundText) -> Handled:
    """Handle one inbound text, inside the agency's scope. Idempotent per provider id."""
    with transaction.atomic():
        participants = _participants_with(inbound.from_number)
        if not participants:
            return Handled(unknown_number_text())
        words = inbound.body.strip()
        keyword = keyword_of(words)
        consents = {
            c.participant_id: c
            for c in ChannelConsent.objects.filter(
                participant__in=participants, channel=DeliveryChannel.SMS
            )
        }
        if not keyword and normalised(words) in START_WHEN_STOPPED:
            stopped = [c for c in consents.values() if c.granted_at and c.revoked_at]
            if stopped:
                keyword = START
        try:
            with transaction.atomic():
                record = TextInbound.objects.create(
                    agency=agency,
                    provider_id=inbound.provider_id,
                    participant=participants[0],
                    keyword=keyword,
                )
        except IntegrityError:
            return Handled()  # the provider sent this webhook again: handled already
        _resume_paused(participants, inbound.from_number)
        first = participants[0]
        if keyword == STOP:
            for participant in participants:
                consent = consents.get(participant.pk)
                _texts_stop(participant, record, was_granted=bool(consent and consent.is_granted))
            reply_send(participant=first, topic="stopped", keyword=True)
        elif keyword == START:
            restarted = [p for p in participants if _texts_start(p, consents.get(p.pk), record)]
            reply_send(
                participant=restarted[0] if restarted else first,
                topic="started" if restarted else "help",
                keyword=True,
            )
        elif keyword == HELP:
            reply_send(participant=first, topic="help", keyword=True)
        else:
            # Only a number that may be texted is answered: after STOP, silence until START.
            consented = [p for p in participants if p.pk in consents and consents[p.pk].is_granted]
            if consented and not any(handler(consented, words) for handler in _CONVERSATIONS):
                reply_send(participant=consented[0], topic="unread")
        return Handled()


def _texts_stop(participant: Participant, record: TextInbound, *, was_granted: bool) -> None:
    from participants.services import channel_consent_set

    channel_consent_set(
        participant=participant,
        channel=DeliveryChannel.SMS,
        granted=False,
        recorded_by=None,
        actor_label="participant by text (STOP)",
    )
    for listener in _STOP_LISTENERS:
        listener(participant)
    # Texts already waiting are skipped at send time (no consent); the peer hears of it
    # (once: a second STOP changes nothing).
    if was_granted:
        _peer_note(participant, DeliveryKind.TEXTS_STOPPED, record.pk)


def _texts_start(participant: Participant, consent, record: TextInbound) -> bool:
    """Restore a consent the participant once gave and revoked. A number that never
    consented is not signed up by a text: staff record consent with the participant."""
    from participants.services import channel_consent_set

    if consent is None or consent.granted_at is None or consent.is_granted:
        return False
    channel_consent_set(
        participant=participant,
        channel=DeliveryChannel.SMS,
        granted=True,
        recorded_by=None,
        actor_label="participant by text (START)",
    )
    _peer_note(participant, DeliveryKind.TEXTS_RESTARTED, record.pk)
    return True


def _peer_note(participant: Participant, kind: str, subject_id: int) -> None:
    """An in-app note for the participant's peer (the outbox shows it like every message)."""
    peer = participant.assigned_peer
    if peer is None or not peer.is_active:
        return
    from alliance.messaging.services import delivery_schedule

    delivery_schedule(
        agency_id=participant.agency_id,
        kind=kind,
        subject_id=subject_id,
        due_at=timezone.now(),
        channel=DeliveryChannel.IN_APP,
        membership=peer,
    )


def _resume_paused(participants: list[Participant], number: str) -> None:
    """A text from the number shows it works again."""
    PausedNumber.objects.filter(
        participant__in=participants, phone=number, resumed_at__isnull=True
    ).update(resumed_at=timezone.now())


# Delivery reports ---------------------------------------------------------------------------

NOT_ARRIVED = (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED)


@transaction.atomic
def delivery_report_record(*, report: DeliveryReport) -> bool:
    """Move a sent text to delivered, undelivered or failed, with the provider's error code;
    after RAPPORT_SMS_PAUSE_AFTER_UNDELIVERED texts in a row did not arrive, pause the number
    and tell the peer. Reports of other steps (queued, sent) change nothing."""
    status = {
        ReportStatus.DELIVERED: DeliveryStatus.DELIVERED,
        ReportStatus.UNDELIVERED: DeliveryStatus.UNDELIVERED,
        ReportStatus.FAILED: DeliveryStatus.FAILED,
    }.get(report.status)
    if status is None:
        return False
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .filter(provider_id=report.provider_id, channel=DeliveryChannel.SMS)
        .select_related("participant")
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.SENT:
        return False
    delivery.status, delivery.reported_at = status, timezone.now()
    fields = ["status", "reported_at"]
    if status != DeliveryStatus.DELIVERED:
        delivery.last_error = f"code {report.error_code}" if report.error_code else ""
        fields.append("last_error")
    delivery.save(update_fields=fields)
    if status in NOT_ARRIVED and delivery.participant_id:
        _pause_if_repeated(delivery.participant)
    return True


def _pause_if_repeated(participant: Participant) -> None:
    needed = settings.RAPPORT_SMS_PAUSE_AFTER_UNDELIVERED
    latest = list(
        Delivery.objects.filter(
            participant=participant, channel=DeliveryChannel.SMS, reported_at__isnull=False
        )
        .order_by("-sent_at", "-id")
        .values_list("status", flat=True)[:needed]
    )
    if len(latest) < needed or any(status not in NOT_ARRIVED for status in latest):
        return
    if not participant.phone or paused_number(participant):
        return
    pause = PausedNumber.objects.create(
        agency_id=participant.agency_id, participant=participant, phone=participant.phone
    )
    _peer_note(participant, DeliveryKind.TEXTS_PAUSED, pause.pk)


def paused_number(participant: Participant) -> PausedNumber | None:
    """The pause on the participant's current number, if texting it is paused."""
    return PausedNumber.objects.filter(
        participant=participant, phone=participant.phone, resumed_at__isnull=True
    ).first()


# Texts, written when sent -------------------------------------------------------------------


def _register_renderers() -> None:
    from alliance.messaging.services import Message, message_renderer, staff_email_text

    def answer(delivery) -> Message | None:
        reply = TextReply.objects.filter(pk=delivery.subject_id).first()
        text = reply_text(reply) if reply else None
        return Message("", text) if text else None

    message_renderer(DeliveryKind.TEXT_REPLY)(answer)
    message_renderer(DeliveryKind.KEYWORD_REPLY)(answer)

    def participant_link(participant: Participant) -> str:
        return settings.SITE_URL + reverse(
            "participant_detail", args=[participant.agency.slug, participant.pk]
        )

    def note(delivery, participant: Participant | None, text: str) -> Message | None:
        """Scheduled in the app only; in-app texts may name the participant, an email
        (should one be scheduled) names no one (decision 81)."""
        if participant is None:
            return None
        link = participant_link(participant)
        if delivery.channel != DeliveryChannel.IN_APP:
            text = _("Texts to a participant need a look.") + "\n" + staff_email_text(link)
            return Message(_("Rapport: about texts"), text, link)
        return Message(_("Rapport: about texts"), f"{text}\n{link}", link)

    def texter(delivery):
        """The participant whose text (STOP or START) the note is about, or None."""
        record = (
            TextInbound.objects.select_related("participant__agency")
            .filter(pk=delivery.subject_id)
            .first()
        )
        return record.participant if record else None

    @message_renderer(DeliveryKind.TEXTS_STOPPED)
    def stopped(delivery) -> Message | None:
        participant = texter(delivery)
        return note(
            delivery,
            participant,
            _("%(name)s texted STOP: Rapport sends them no texts until they text START.")
            % {"name": participant.preferred_name if participant else ""},
        )

    @message_renderer(DeliveryKind.TEXTS_RESTARTED)
    def restarted(delivery) -> Message | None:
        participant = texter(delivery)
        return note(
            delivery,
            participant,
            _("%(name)s texted START: texts to them are on again.")
            % {"name": participant.preferred_name if participant else ""},
        )

    @message_renderer(DeliveryKind.TEXTS_PAUSED)
    def paused(delivery) -> Message | None:
        pause = (
            PausedNumber.objects.select_related("participant__agency")
            .filter(pk=delivery.subject_id, resumed_at__isnull=True)
            .first()
        )
        if pause is None:
            return None
        participant = pause.participant
        return note(
            delivery,
            participant,
            _(
                "Texts to %(name)s have not arrived %(count)s times in a row: the number may "
                "have changed. Rapport has paused texting it until the number is updated."
            )
            % {
                "name": participant.preferred_name,
                "count": settings.RAPPORT_SMS_PAUSE_AFTER_UNDELIVERED,
            },
        )


_register_renderers()
