"""Handing over a check-in link (issue 14, point 2): a link to copy or scan (a QR code drawn
on the server, no script needed), a one-off link sent now by the participant's consented
channel, its expiry in the participant's own zone and language, and no new links after
discharge."""

import re
import zoneinfo
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import formats, translation

from agencies.formatting import format_moment
from agencies.models import AuditEvent
from agencies.tenancy import agency_scope
from alliance.checkins import services
from alliance.checkins.models import CheckInRequest
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from alliance.messaging.services import Outcome, deliver
from alliance.messaging.transports import MemorySMS
from participants.services import channel_consent_set
from tests.conftest import client_for
from tests.factories import make_participant

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _default_instrument(agency_a):
    MemorySMS.outbox.clear()
    with agency_scope(agency_a):
        services.instrument_install_default(agency=agency_a)


@pytest.fixture
def texter(agency_a, peer_a):
    """A participant who reads Spanish, lives in Tokyo, and agreed to texts."""
    person = make_participant(
        agency_a,
        peer=peer_a,
        preferred_name="Lucía",
        phone="+12025550143",
        language="es",
        time_zone="Asia/Tokyo",
    )
    with agency_scope(agency_a):
        channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    return person


def url_of(participant, action):
    return f"/a/agency-a/participants/{participant.pk}/checkins/{action}/"


def test_the_link_page_offers_copy_and_a_qr_code_that_need_no_script(agency_a, peer_a, texter):
    page = client_for(peer_a.user).post(url_of(texter, "link"))
    text = page.text
    url = page.context["url"]
    # The link is in a readonly field anyone can select; the copy button is shown by
    # static/js/copy.js only where the clipboard works.
    assert f'<input id="checkin-link" class="copy" type="text" readonly value="{url}">' in text
    assert re.search(r'<button type="button" data-copy="checkin-link"[^>]* hidden>', text)
    assert "js/copy.js" in text and "<script>" not in text
    # The QR code is inline SVG with a name for screen readers, scaled by its viewBox.
    svg = re.search(r"<svg [^>]*>", text).group(0)
    assert 'role="img"' in svg and 'aria-label="QR code of the check-in link' in svg
    assert "viewBox=" in svg
    # The agency is in New York, the participant in Tokyo: staff read both.
    with agency_scope(agency_a):
        checkin = CheckInRequest.objects.get()
    tokyo = format_moment(checkin.expires_at, "Asia/Tokyo")
    assert f"For them that is {tokyo} (Asia/Tokyo)." in text
    # A "send instead" button, since they agreed to texts.
    assert "Send a link by text message" in text


def test_the_qr_code_encodes_the_link(agency_a, peer_a, texter):
    """The SVG is segno's rendering of exactly the link (compared with segno's own output)."""
    import segno

    page = client_for(peer_a.user).post(url_of(texter, "link"))
    expected = segno.make(page.context["url"], error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr", omitsize=True
    )
    path = re.search(r'<path class="qrline"[^>]*>', expected).group(0)
    assert path in page.text


def test_send_now_texts_a_fresh_link_in_their_language_and_zone(agency_a, peer_a, texter):
    browser = client_for(peer_a.user)
    answer = browser.post(url_of(texter, "send"), follow=True)
    assert "A check-in link is on its way by text message." in answer.text
    with agency_scope(agency_a):
        row = Delivery.objects.get(kind=DeliveryKind.CHECKIN_LINK)
        assert row.channel == "sms" and row.participant_id == texter.pk
        assert not CheckInRequest.objects.exists()  # the link is made when the text goes
        assert AuditEvent.objects.filter(action="checkin_link.sent").count() == 1
        # Claimed by the sweep and sent by a worker (deliveries_send), as every message.
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        assert deliver(row.pk) == Outcome.SENT
        checkin = CheckInRequest.objects.get()
    [(address, text)] = MemorySMS.outbox
    assert address == "+12025550143" and "Lucía" not in text
    with translation.override("es"):
        until = format_moment(checkin.expires_at, "Asia/Tokyo")
    assert text.startswith("Hola") and f"(funciona hasta el {until})" in text
    path = re.search(r"https?://[^/\s]+(/c/[^\s]+/)", text).group(1)
    assert Client().get(path).status_code == 200


def test_send_now_without_consent_says_to_show_the_link_instead(agency_a, peer_a):
    quiet = make_participant(agency_a, peer=peer_a)
    answer = client_for(peer_a.user).post(url_of(quiet, "send"), follow=True)
    assert "has not agreed to texts or emails" in answer.text
    with agency_scope(agency_a):
        assert not Delivery.objects.exists()
    assert "Send a check-in link now" not in answer.text  # the button is not offered


def test_the_check_in_page_shows_the_expiry_in_the_participants_zone_and_language(agency_a, texter):
    with agency_scope(agency_a):
        checkin, raw = services.checkin_request_create(
            participant=texter, channel="link", created_by=None
        )
        expires = datetime(2031, 3, 4, 15, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
        CheckInRequest.objects.filter(pk=checkin.pk).update(expires_at=expires)
    page = Client().get(f"/c/{raw}/")
    with translation.override("es"):
        until = formats.date_format(expires.astimezone(TOKYO), "DATETIME_FORMAT")
    assert "5 mar 2031, 00:30" in until  # 00:30 the next day in Tokyo
    assert f"Este enlace funciona hasta el {until}" in page.text


@pytest.mark.parametrize("action", ["link", "send", "kiosk"])
def test_discharged_participants_get_no_new_links(agency_a, peer_a, texter, action):
    with agency_scope(agency_a):
        type(texter).objects.filter(pk=texter.pk).update(status="discharged")
    browser = client_for(peer_a.user)
    answer = browser.post(url_of(texter, action), follow=True)
    assert "has been discharged, so no new check-in link can be made or sent" in answer.text
    assert answer.redirect_chain[-1][0] == f"/a/agency-a/participants/{texter.pk}/"
    assert "Discharged: no new check-in links can be made or sent." in answer.text
    with agency_scope(agency_a):
        assert not CheckInRequest.objects.exists() and not Delivery.objects.exists()
        texter.refresh_from_db()
        with pytest.raises(ValidationError):
            services.checkin_request_create(participant=texter, channel="sms", created_by=None)
    # Staff are still signed in (the kiosk did not sign them out).
    assert browser.get("/a/agency-a/participants/").status_code == 200


def test_a_discharged_participants_queued_link_is_not_sent(agency_a, peer_a, texter):
    client_for(peer_a.user).post(url_of(texter, "send"))
    with agency_scope(agency_a):
        type(texter).objects.filter(pk=texter.pk).update(status="discharged")
        row = Delivery.objects.get(kind=DeliveryKind.CHECKIN_LINK)
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        assert deliver(row.pk) == Outcome.SKIPPED
        assert not CheckInRequest.objects.exists()
    assert MemorySMS.outbox == []


def test_a_second_tap_while_the_link_waits_sends_nothing_more(agency_a, peer_a, texter):
    browser = client_for(peer_a.user)
    browser.post(url_of(texter, "send"))
    again = browser.post(url_of(texter, "send"), follow=True)
    assert "A check-in link is on its way by text message." in again.text
    with agency_scope(agency_a):
        assert Delivery.objects.filter(kind=DeliveryKind.CHECKIN_LINK).count() == 1


def test_send_now_during_quiet_hours_says_when_the_link_will_go_out(agency_a, peer_a, texter):
    """The link waits for the end of their quiet hours; staff are told when, not "on its way"."""
    from datetime import timedelta

    from django.utils import timezone

    from participants.models import CulturalProfile

    local_now = timezone.localtime(timezone.now(), TOKYO)
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local_now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    with agency_scope(agency_a):
        CulturalProfile.objects.filter(participant=texter).update(
            quiet_hours_start=start, quiet_hours_end=end
        )
    answer = client_for(peer_a.user).post(url_of(texter, "send"), follow=True)
    assert "on its way" not in answer.text
    ends = (local_now + timedelta(hours=2)).replace(second=0, microsecond=0)
    with translation.override("en"), timezone.override(agency_a.time_zone):
        when = format_moment(ends)
    assert f"A check-in link will go out at {when}, after Lucía&#x27;s quiet hours" in answer.text
    with agency_scope(agency_a):
        row = Delivery.objects.get(kind=DeliveryKind.CHECKIN_LINK)
    assert row.status == DeliveryStatus.PENDING and row.due_at <= timezone.now()
