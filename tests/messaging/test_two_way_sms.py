"""Two-way texts with real parts: the app's Twilio client (the official `twilio` library)
talks to a local fake of Twilio's REST API, and the fake posts inbound texts and delivery
reports to the running app (live server), signed as Twilio signs them."""

import pytest
import requests

from agencies.models import AuditEvent
from agencies.tenancy import agency_scope
from alliance.checkins.models import Alert, CheckInResponse, TextCheckIn
from alliance.messaging.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    PausedNumber,
    TextInbound,
)
from alliance.messaging.sms import keyword_of
from participants.models import ChannelConsent, CulturalProfile
from participants.services import channel_consent_set
from tests.conftest import client_for
from tests.factories import make_checkin_request, make_participant
from tests.messaging.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT, TOKEN, OURS = "AC" + "0" * 32, "platform-secret", "+15005550006"
ROSA = "+15551230001"


@pytest.fixture
def twilio(settings, live_server):
    with FakeTwilio(ACCOUNT, TOKEN) as fake:
        settings.RAPPORT_SMS_BACKEND = "alliance.messaging.transports.ProviderSMS"
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, TOKEN
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = OURS, ""
        settings.TWILIO_API_BASE_URL = fake.url
        settings.SITE_URL = live_server.url
        yield fake


@pytest.fixture
def rosa(agency_a, peer_a):
    person = make_participant(
        agency_a, peer=peer_a, preferred_name="Rosa", phone=ROSA, language="es"
    )
    with agency_scope(agency_a):
        channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    return person


def inbound_url(live_server, slug="agency-a"):
    return f"{live_server.url}/sms/{slug}/inbound/"


def texts(twilio, participant, body):
    response = twilio.text_in(
        inbound_url_of(participant), from_number=participant.phone, to_number=OURS, body=body
    )
    assert response.status_code == 200, response.text
    return response


def inbound_url_of(participant):
    from django.conf import settings

    return f"{settings.SITE_URL}/sms/{participant.agency.slug}/inbound/"


def consent_granted(participant) -> bool:
    with agency_scope(participant.agency_id):
        return ChannelConsent.objects.get(participant=participant, channel="sms").is_granted


def test_a_webhook_with_a_wrong_signature_is_refused_and_nothing_is_stored(
    twilio, live_server, rosa
):
    make_checkin_request(rosa, channel="sms")
    for body in ("ALTO", "1"):
        forged = twilio.text_in(
            inbound_url(live_server), from_number=ROSA, to_number=OURS, body=body, token="guess"
        )
        assert forged.status_code == 403
    unsigned = requests.post(
        inbound_url(live_server),
        data={"MessageSid": "SM1", "From": ROSA, "Body": "STOP"},
        timeout=30,
    )
    assert unsigned.status_code == 403
    with agency_scope(rosa.agency_id):
        assert not TextInbound.objects.exists() and not TextCheckIn.objects.exists()
        assert not Delivery.objects.filter(participant=rosa).exists()
    assert consent_granted(rosa) and twilio.sent == []
    # The control: the same text, signed with the right secret, is taken.
    texts(twilio, rosa, "1")
    assert len(twilio.texts_to(ROSA)) == 1


def test_a_check_in_by_text_in_spanish_ends_in_a_scored_response_and_an_alert(
    twilio, live_server, rosa
):
    checkin, _raw = make_checkin_request(rosa, channel="sms")
    texts(twilio, rosa, "1")  # answering the check-in text with a number starts it
    first = twilio.texts_to(ROSA)[-1]
    assert first.startswith("Unas preguntas sobre tu apoyo entre pares")
    assert "(1/10) Me sentí seguro o segura" in first
    assert "Responde del 1 al 5 (1 = Para nada, 5 = Totalmente), u OMITIR." in first

    texts(twilio, rosa, "7")  # out of the scale: said so, and the same question again
    again = twilio.texts_to(ROSA)[-1]
    assert again.startswith("Perdona, esa respuesta no sirve.") and "(1/10)" in again

    texts(twilio, rosa, "1")
    assert "(2/10) Mi compañero o compañera de apoyo me escuchó." in twilio.texts_to(ROSA)[-1]
    texts(twilio, rosa, "omitir")
    for _item in range(7):
        texts(twilio, rosa, "1")
    last = twilio.texts_to(ROSA)[-1]
    assert "(10/10) ¿Qué haría mejor nuestra próxima conversación?" in last
    assert "Responde con tus palabras, u OMITIR." in last
    texts(twilio, rosa, "Más tiempo para hablar, por favor")
    assert twilio.texts_to(ROSA)[-1] == "Gracias, tus respuestas quedaron guardadas."

    with agency_scope(rosa.agency_id):
        response = CheckInResponse.objects.get(request=checkin)
        assert response.channel == "text_reply" and response.get_channel_display() == "Text reply"
        assert len(response.answers) == 9  # eight scale answers and the words; one skipped
        assert "Más tiempo para hablar, por favor" in response.answers.values()
        assert response.total == 8 and response.percent == 0.0
        assert Alert.objects.filter(response=response, rules__contains=["total_low"]).exists()
    # No text carried a name, a score or a link.
    for body in twilio.texts_to(ROSA):
        assert "Rosa" not in body and "%" not in body and "http" not in body
    # A number sent to the finished check-in: it is over, without detail.
    texts(twilio, rosa, "3")
    assert twilio.texts_to(ROSA)[-1] == "Este chequeo ya está cerrado. Gracias."


def test_stop_mid_conversation_ends_it_revokes_consent_and_tells_the_peer(
    twilio, live_server, rosa, peer_a
):
    make_checkin_request(rosa, channel="sms")
    texts(twilio, rosa, "1")
    texts(twilio, rosa, "4")
    texts(twilio, rosa, "Alto.")
    assert twilio.texts_to(ROSA)[-1].startswith("No recibirás más mensajes de este número.")
    assert not consent_granted(rosa)
    with agency_scope(rosa.agency_id):
        session = TextCheckIn.objects.get(participant=rosa)
        assert session.end == "stopped" and session.ended_at is not None
        assert not CheckInResponse.objects.filter(participant=rosa).exists()
        assert AuditEvent.objects.filter(
            action="consent.revoked", actor_label="participant by text (STOP)"
        ).exists()
        note = Delivery.objects.get(kind=DeliveryKind.TEXTS_STOPPED)
        assert note.membership == peer_a and note.channel == "in_app"
    # After STOP: silence, even to a number, and no new conversation.
    sent = len(twilio.sent)
    texts(twilio, rosa, "3")
    assert len(twilio.sent) == sent
    with agency_scope(rosa.agency_id):
        assert TextCheckIn.objects.filter(participant=rosa, ended_at__isnull=True).count() == 0
    # START restores it, with a note for the peer.
    texts(twilio, rosa, "comenzar")
    assert twilio.texts_to(ROSA)[-1].startswith("Los mensajes están activos otra vez.")
    assert consent_granted(rosa)


def test_help_answers_and_an_unknown_number_learns_nothing(twilio, live_server, rosa):
    texts(twilio, rosa, "AYUDA")
    assert twilio.texts_to(ROSA)[-1].startswith("Este número envía mensajes de tu programa")
    stranger = twilio.text_in(
        inbound_url(live_server), from_number="+15559990000", to_number=OURS, body="STOP"
    )
    assert stranger.status_code == 200
    assert "This number does not take messages." in stranger.text
    assert "Rosa" not in stranger.text and "agency" not in stranger.text.lower()
    with agency_scope(rosa.agency_id):
        assert TextInbound.objects.count() == 1  # the HELP only
    assert twilio.texts_to("+15559990000") == []


def test_texts_that_do_not_arrive_are_shown_to_staff_and_pause_the_number(
    twilio, live_server, rosa, peer_a, settings
):
    with agency_scope(rosa.agency_id):
        CulturalProfile.objects.filter(participant=rosa).update(language="en")
    for _n in range(settings.RAPPORT_SMS_PAUSE_AFTER_UNDELIVERED):
        texts(twilio, rosa, "HELP")
    reports = [t for t in twilio.sent if t.to == ROSA]
    assert all(t.status_callback.endswith("/sms/agency-a/status/") for t in reports)

    assert twilio.report(reports[0], "delivered").status_code == 204
    assert twilio.report(reports[1], "undelivered", "30005").status_code == 204
    with agency_scope(rosa.agency_id):
        rows = {d.provider_id: d for d in Delivery.objects.filter(participant=rosa)}
        assert rows[reports[0].sid].status == DeliveryStatus.DELIVERED
        assert rows[reports[1].sid].status == DeliveryStatus.UNDELIVERED
        assert rows[reports[1].sid].last_error == "code 30005"
    staff = client_for(peer_a.user)
    outbox = staff.get("/a/agency-a/outbox/?status=undelivered").text
    assert "Did not arrive" in outbox and "code 30005" in outbox
    page = staff.get(f"/a/agency-a/participants/{rosa.pk}/").text
    assert "Last text did not arrive: the number may have changed." in page

    # A forged report changes nothing.
    forged = twilio.post_signed(
        reports[2].status_callback,
        {"MessageSid": reports[2].sid, "MessageStatus": "undelivered"},
        token="guess",
    )
    assert forged.status_code == 403
    # Repeated: the number is paused and the peer told; the next text is not sent.
    twilio.report(reports[2], "undelivered", "30003")
    with agency_scope(rosa.agency_id):
        assert not PausedNumber.objects.filter(participant=rosa).exists()  # 2 of 3 so far
    texts(twilio, rosa, "INFO")
    twilio.report(twilio.sent[-1], "failed", "30003")
    with agency_scope(rosa.agency_id):
        assert PausedNumber.objects.filter(participant=rosa, resumed_at__isnull=True).exists()
        assert Delivery.objects.filter(kind=DeliveryKind.TEXTS_PAUSED, membership=peer_a).exists()
    page = staff.get(f"/a/agency-a/participants/{rosa.pk}/").text
    assert "Texting this number is paused" in page


def test_keywords_in_english_and_spanish():
    assert {keyword_of(w) for w in ["STOP", "stop ", "Stop!", "alto", "PARAR", "Detener"]} == {
        "stop"
    }
    assert {keyword_of(w) for w in ["STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]} == {"stop"}
    assert {keyword_of(w) for w in ["start", "UNSTOP", "Comenzar"]} == {"start"}
    assert {keyword_of(w) for w in ["help", "INFO", "ayuda"]} == {"help"}
    assert keyword_of("please stop texting me at night") == ""
    assert keyword_of("yes") == ""  # only while a STOP is in force (text_received)


def test_a_paused_number_is_not_texted_until_it_changes(twilio, live_server, rosa, peer_a):
    from django.db import transaction

    from alliance.messaging.sms import reply_send

    with agency_scope(rosa.agency_id):
        PausedNumber.objects.create(agency_id=rosa.agency_id, participant=rosa, phone=ROSA)
        with transaction.atomic():
            held = reply_send(participant=rosa, topic="help")
        held.refresh_from_db()
        assert held.status == DeliveryStatus.SKIPPED and held.skip_reason == "number_paused"
    assert twilio.texts_to(ROSA) == []
    # A new number is texted (the pause belonged to the old one).
    with agency_scope(rosa.agency_id):
        type(rosa).objects.filter(pk=rosa.pk).update(phone="+15551230002")
        rosa.refresh_from_db()
        with transaction.atomic():
            sent = reply_send(participant=rosa, topic="help")
        sent.refresh_from_db()
        assert sent.status == DeliveryStatus.SENT
    assert len(twilio.texts_to("+15551230002")) == 1
