"""Check-in by text reply, for a phone without internet: the instrument's items one text at
a time, in the participant's language, each with its scale ("Reply 1 to 5, or SKIP").

A conversation (TextCheckIn) belongs to one check-in request sent by text and ends with it:
completed (an ordinary CheckInResponse, channel 'text reply', through `checkin_submit`, so
the same scores, alerts, trends and exports), stopped by STOP, or expired with the request.
It starts when the invitation is sent to a participant whose profile asks for check-ins by
reply, or when the participant answers a check-in text with a number. Messaging hands inbound
texts here through its registry (alliance/messaging/sms.py); the texts hold the questions and
the scale, never a name or a score."""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.checkins.models import (
    Channel,
    CheckInRequest,
    CheckInResponse,
    InstrumentItem,
    ItemKind,
    TextCheckIn,
    TextCheckInEnd,
)
from alliance.checkins.services import checkin_submit
from alliance.messaging.sms import (
    normalised,
    on_texts_stopped,
    reply_send,
    text_conversation,
    text_reply_renderer,
)
from participants.models import CulturalProfile, Participant

SKIP_WORDS = {"SKIP", "OMITIR", "SALTAR", "PASAR"}
ANSWER_MAX = 2000  # characters kept of a free-text answer (as the check-in page's field)


def _items(instrument_id: int) -> list[InstrumentItem]:
    return list(InstrumentItem.objects.filter(instrument_id=instrument_id).order_by("position"))


def _number(words: str) -> int | None:
    word = normalised(words)
    return int(word) if word.isdigit() and len(word) <= 3 else None


def _open_text_requests(participants: list[Participant]):
    return CheckInRequest.objects.filter(
        participant__in=participants,
        channel=Channel.SMS,
        completed_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")


def text_checkin_start(checkin: CheckInRequest) -> TextCheckIn:
    """Begin (or find) the conversation of this request, at its first item."""
    session, _created = TextCheckIn.objects.get_or_create(
        agency_id=checkin.agency_id,
        request=checkin,
        defaults={"participant_id": checkin.participant_id},
    )
    return session


def text_checkin_open(checkin: CheckInRequest) -> bool:
    """Whether this request is being answered by text (its reminder then says so)."""
    return TextCheckIn.objects.filter(request=checkin, ended_at__isnull=True).exists()


@text_conversation
@transaction.atomic
def text_checkin_answer(participants: list[Participant], words: str) -> bool:
    """Take the inbound words if they belong to a check-in by text."""
    session = (
        TextCheckIn.objects.select_for_update(of=("self",))
        .select_related("request__agency", "participant")
        .filter(participant__in=participants, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if session is not None:
        if session.request.status != "open":
            _end(session, TextCheckInEnd.EXPIRED)
            reply_send(participant=session.participant, topic="checkin_closed")
            return True
        _answer(session, words)
        return True
    number = _number(words)
    checkin = _open_text_requests(participants).select_related("participant").first()
    if checkin is not None:
        by_reply = CulturalProfile.objects.filter(
            participant_id=checkin.participant_id, checkin_by_reply=True
        ).exists()
        if number is not None or by_reply:
            session = text_checkin_start(checkin)
            reply_send(
                participant=checkin.participant,
                topic="checkin_question",
                data={"session": session.pk, "position": session.position, "first": True},
            )
            return True
    if number is not None:
        latest = (
            CheckInRequest.objects.filter(participant__in=participants, channel=Channel.SMS)
            .select_related("participant")
            .order_by("-created_at")
            .first()
        )
        if latest is not None:  # a number answering a check-in that is over
            reply_send(participant=latest.participant, topic="checkin_closed")
            return True
    return False


def _answer(session: TextCheckIn, words: str) -> None:
    items = _items(session.request.instrument_id)
    item = items[session.position]
    word = normalised(words)
    if word in SKIP_WORDS and not item.required:
        value = None
    elif item.kind == ItemKind.SCALE:
        value = _number(words)
        if value is None or not item.scale_min <= value <= item.scale_max:
            reply_send(
                participant=session.participant,
                topic="checkin_invalid",
                data={"session": session.pk, "position": session.position},
            )
            return
    else:
        value = words.strip()[:ANSWER_MAX]
        if not value:
            reply_send(
                participant=session.participant,
                topic="checkin_invalid",
                data={"session": session.pk, "position": session.position},
            )
            return
    if value is not None:
        session.answers[str(item.pk)] = value
    session.position += 1
    if session.position < len(items):
        session.save(update_fields=["answers", "position"])
        reply_send(
            participant=session.participant,
            topic="checkin_question",
            data={"session": session.pk, "position": session.position},
        )
        return
    previous = (
        CheckInResponse.objects.filter(participant_id=session.participant_id)
        .order_by("-submitted_at")
        .values_list("percent", flat=True)
        .first()
    )
    response = checkin_submit(
        checkin=session.request,
        items=items,
        answers=session.answers,
        previous_percent=previous,
        channel=Channel.TEXT_REPLY,
    )
    _end(session, TextCheckInEnd.COMPLETED if response else TextCheckInEnd.EXPIRED)
    reply_send(
        participant=session.participant,
        topic="checkin_done" if response else "checkin_closed",
    )


def _end(session: TextCheckIn, end: str) -> None:
    session.ended_at, session.end = timezone.now(), end
    session.save(update_fields=["answers", "position", "ended_at", "end"])


@on_texts_stopped
def text_checkins_stop(participant: Participant) -> None:
    """STOP ends the conversation at once; what was answered is not kept as a check-in."""
    TextCheckIn.objects.filter(participant=participant, ended_at__isnull=True).update(
        ended_at=timezone.now(), end=TextCheckInEnd.STOPPED
    )


# The texts --------------------------------------------------------------------------------


def question_text(session: TextCheckIn, position: int) -> str | None:
    """One item as a text: '(2/10) My peer listened to me. Reply 1 to 5 (1 = Not at all,
    5 = Completely), or SKIP.' In the active language (the participant's, when sent)."""
    items = _items(session.request.instrument_id)
    if position >= len(items):
        return None
    item = items[position]
    language = translation.get_language() or "en"
    question = item.in_language("text", language)
    if item.kind == ItemKind.SCALE:
        values = {"min": item.scale_min, "max": item.scale_max}
        low, high = item.in_language("label_min", language), item.in_language("label_max", language)
        if low and high:
            values.update(low=low, high=high)
            how = (
                _("Reply %(min)s to %(max)s (%(min)s = %(low)s, %(max)s = %(high)s).")
                if item.required
                else _("Reply %(min)s to %(max)s (%(min)s = %(low)s, %(max)s = %(high)s), or SKIP.")
            ) % values
        else:
            how = (
                _("Reply %(min)s to %(max)s.")
                if item.required
                else _("Reply %(min)s to %(max)s, or SKIP.")
            ) % values
    else:
        how = (
            _("Reply in your own words.")
            if item.required
            else _("Reply in your own words, or SKIP.")
        )
    return f"({position + 1}/{len(items)}) {question} {how}"


def _session_of(reply) -> TextCheckIn | None:
    return (
        TextCheckIn.objects.select_related("request").filter(pk=reply.data.get("session")).first()
    )


@text_reply_renderer("checkin_question")
def _question(reply) -> str | None:
    session = _session_of(reply)
    if session is None or session.ended_at is not None:
        return None
    text = question_text(session, reply.data.get("position", 0))
    if text and reply.data.get("first"):
        text = _("A few questions about your peer support, one text at a time.") + " " + text
    return text


@text_reply_renderer("checkin_invalid")
def _invalid(reply) -> str | None:
    session = _session_of(reply)
    if session is None or session.ended_at is not None:
        return None
    text = question_text(session, reply.data.get("position", 0))
    return _("Sorry, that answer does not fit.") + " " + text if text else None


@text_reply_renderer("checkin_done")
def _done(reply) -> str:
    return _("Thank you, your answers are saved.")


@text_reply_renderer("checkin_closed")
def _closed(reply) -> str:
    return _("This check-in is closed. Thank you.")
