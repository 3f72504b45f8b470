"""Notifications read as sentences with a link, never a raw address (issue 14, point 5)."""

import pytest
from django.test import override_settings
from django.utils import translation

from agencies.tenancy import agency_scope
from alliance.messaging.models import Notification
from tests.conftest import client_for
from tests.factories import make_notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """English unless a test says otherwise (an earlier test may leave another active)."""
    with translation.override("en"):
        yield


@override_settings(SITE_URL="https://rapport.example.org")
def test_an_old_notification_with_its_address_in_the_text_reads_as_a_linked_sentence(
    agency_a, peer_a
):
    address = "https://rapport.example.org/a/agency-a/alerts/7/"
    note = make_notification(peer_a, text=f"A check-in from Dee needs a look.\n{address}")
    with agency_scope(agency_a):
        Notification.objects.filter(pk=note.pk).update(link=address)
    html = client_for(peer_a.user).get("/a/agency-a/notifications/").text
    assert '<a href="/a/agency-a/alerts/7/">A check-in from Dee needs a look.</a>' in html
    assert "https://" not in html.split("<main", 1)[1]


def test_a_link_to_another_site_is_not_followed_and_empty_words_read_as_the_kind(agency_a, peer_a):
    note = make_notification(peer_a, text="https://elsewhere.example.com/x")
    with agency_scope(agency_a):
        Notification.objects.filter(pk=note.pk).update(link="https://elsewhere.example.com/x")
    html = client_for(peer_a.user).get("/a/agency-a/notifications/").text
    assert "A check-in needs a look." in html and "elsewhere.example.com" not in html


def test_new_in_app_notices_carry_the_link_apart_from_the_words(agency_a, peer_a):
    from datetime import timedelta

    from django.utils import timezone

    from alliance.commitments.messages import commitment_reminder_message
    from alliance.messaging.models import Delivery
    from tests.factories import make_commitment, make_participant

    person = make_participant(agency_a, peer=peer_a, preferred_name="Dee")
    commitment = make_commitment(person, staff=peer_a, hours_ahead=30)
    with agency_scope(agency_a):
        delivery = Delivery.objects.filter(
            kind="commitment_reminder", channel="in_app", subject_id=commitment.pk
        ).first()
        message = commitment_reminder_message(delivery)
    assert "http" not in message.text and message.link.endswith(
        f"/participants/{person.pk}/commitments/"
    )
    assert message.text.startswith("Reminder: you promised Dee")
    assert timezone.now() + timedelta(hours=29) < commitment.due_at
