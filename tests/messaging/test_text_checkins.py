"""Check-in by text reply and the inbound handler, without the network: the handler as the
webhook calls it, and the `sms_reply` command that plays the participant's phone in
`make run`. (The network path, with a fake Twilio, is tests/messaging/test_two_way_sms.py.)"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.checkins.models import CheckInRequest, TextCheckIn
from alliance.commitments.models import CheckInSchedule
from alliance.messaging import sms
from alliance.messaging.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Notification,
    TextInbound,
)
from alliance.messaging.providers import InboundText
from alliance.messaging.services import deliver
from alliance.messaging.transports import MemorySMS
from participants.models import CulturalProfile
from participants.services import channel_consent_set
from tests.factories import make_checkin_request, make_participant

pytestmark = pytest.mark.django_db
PHONE = "+15551230001"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    MemorySMS.outbox.clear()


@pytest.fixture
def dee(agency_a, peer_a):
    person = make_participant(agency_a, peer=peer_a, preferred_name="Dee", phone=PHONE)
    with agency_scope(agency_a):
        channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    return person


def text_in(participant, words, sid=None, *, capture):
    inbound = InboundText(sid or f"SM{timezone.now().timestamp()}{words}", PHONE, "+1500", words)
    with capture(execute=True), agency_scope(participant.agency_id):
        return sms.text_received(agency=participant.agency, inbound=inbound)


def last_text() -> str:
    return MemorySMS.outbox[-1][1]


def send_invite(participant) -> None:
    with agency_scope(participant.agency_id):
        schedule = CheckInSchedule.objects.create(
            agency=participant.agency, participant=participant
        )
        invite = Delivery.objects.create(
            agency=participant.agency,
            kind=DeliveryKind.CHECKIN_INVITE,
            subject_id=schedule.pk,
            participant=participant,
            recipient_key=f"p:{participant.pk}",
            channel="sms",
            due_at=timezone.now(),
            status=DeliveryStatus.QUEUED,
        )
        assert deliver(invite.pk) == "sent"


def test_a_profile_that_asks_for_replies_gets_the_first_question_instead_of_a_link(
    dee, django_capture_on_commit_callbacks
):
    with agency_scope(dee.agency_id):
        CulturalProfile.objects.filter(participant=dee).update(checkin_by_reply=True)
    send_invite(dee)
    invite = last_text()
    assert "/c/" not in invite and "Dee" not in invite
    assert "(1/10) I felt safe, and my privacy was respected." in invite
    assert "Reply 1 to 5 (1 = Not at all, 5 = Completely), or SKIP." in invite
    text_in(dee, "5", capture=django_capture_on_commit_callbacks)
    assert last_text().startswith("(2/10) My peer listened to me.")


def test_a_link_by_text_offers_to_answer_by_reply(dee, django_capture_on_commit_callbacks):
    send_invite(dee)
    assert "/c/" in last_text() and "No internet? Reply 1 to answer by text." in last_text()
    text_in(dee, "1", capture=django_capture_on_commit_callbacks)
    assert "(1/10)" in last_text()


def test_the_conversation_ends_with_its_check_in(dee, django_capture_on_commit_callbacks):
    checkin, _raw = make_checkin_request(dee, channel="sms")
    text_in(dee, "1", capture=django_capture_on_commit_callbacks)
    text_in(dee, "4", capture=django_capture_on_commit_callbacks)
    with agency_scope(dee.agency_id):
        CheckInRequest.objects.filter(pk=checkin.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    text_in(dee, "4", capture=django_capture_on_commit_callbacks)
    assert last_text() == "This check-in is closed. Thank you."
    with agency_scope(dee.agency_id):
        session = TextCheckIn.objects.get(request=checkin)
        assert session.end == "expired" and session.position == 1


def test_a_webhook_sent_twice_is_handled_once(dee, django_capture_on_commit_callbacks):
    make_checkin_request(dee, channel="sms")
    text_in(dee, "1", "SMsame", capture=django_capture_on_commit_callbacks)
    text_in(dee, "1", "SMsame", capture=django_capture_on_commit_callbacks)
    assert len(MemorySMS.outbox) == 1
    with agency_scope(dee.agency_id):
        assert TextInbound.objects.count() == 1


def test_yes_restarts_texts_only_after_a_stop(dee, django_capture_on_commit_callbacks):
    text_in(dee, "yes", capture=django_capture_on_commit_callbacks)
    assert "cannot read messages" in last_text()  # an ordinary text, not an opt-in
    text_in(dee, "STOP", capture=django_capture_on_commit_callbacks)
    text_in(dee, "Sí", capture=django_capture_on_commit_callbacks)
    assert last_text().startswith("Texts are on again.")


@pytest.mark.django_db(transaction=True)  # committed, as in `make run`: answers go at once
def test_sms_reply_plays_the_participants_phone(dee, settings, tmp_path, capsys):
    settings.RAPPORT_SMS_BACKEND = "alliance.messaging.transports.FileSMS"
    settings.RAPPORT_SMS_OUTBOX = str(tmp_path)
    make_checkin_request(dee, channel="sms")
    call_command("sms_reply", PHONE, "1")
    out = capsys.readouterr().out
    assert (
        "Rapport answered: A few questions" in out
        and "(1/10) I felt safe" in out
        and str(tmp_path) in out
    )
    assert len(list(tmp_path.iterdir())) == 1
    call_command("sms_reply", "+15550000000", "hello", agency="agency-a")
    assert "This number does not take messages." in capsys.readouterr().out


def test_the_reminder_of_a_check_in_by_text_speaks_of_texts_not_a_link(dee):
    with agency_scope(dee.agency_id):
        CulturalProfile.objects.filter(participant=dee).update(checkin_by_reply=True)
    send_invite(dee)
    with agency_scope(dee.agency_id):
        reminder = Delivery.objects.get(kind=DeliveryKind.CHECKIN_REMINDER)
        Delivery.objects.filter(pk=reminder.pk).update(status=DeliveryStatus.QUEUED)
        assert deliver(reminder.pk) == "sent"
    assert last_text().startswith("Hi, a reminder: you can finish the check-in by text until")


def test_the_peer_hears_of_a_stop_once(dee, django_capture_on_commit_callbacks):
    text_in(dee, "STOP", capture=django_capture_on_commit_callbacks)
    text_in(dee, "stop", capture=django_capture_on_commit_callbacks)
    assert [t for _n, t in MemorySMS.outbox] == [
        "You will get no more texts from this number. Reply START to get them again."
    ] * 2
    with agency_scope(dee.agency_id):
        assert Delivery.objects.filter(kind=DeliveryKind.TEXTS_STOPPED).count() == 1
        note = Delivery.objects.get(kind=DeliveryKind.TEXTS_STOPPED)
        Delivery.objects.filter(pk=note.pk).update(status=DeliveryStatus.QUEUED)
        assert deliver(note.pk) == "sent"
        notification = Notification.objects.get(delivery=note)
    assert notification.text.startswith("Dee texted STOP: Rapport sends them no texts")
