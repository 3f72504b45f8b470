"""Issue 15, point 8: text-direction controls and other invisible formatting characters are
refused, with the same message, by the API, the staff pages, the participant portal and the
check-in page (one validator: agencies/text.py)."""

import pytest
from django import forms
from django.test import Client
from django.utils import timezone
from rest_framework import serializers

from agencies.tenancy import agency_scope
from agencies.text import MESSAGE, refuse_invisible_formatting
from participants.models import Participant
from tests.factories import make_checkin_request, make_participant
from tests.portal.test_portal import issue_link, profile_data

REFUSED = [
    "\u202e",  # right-to-left override
    "\u202a",
    "\u202d",
    "\u2066",  # isolates
    "\u2069",
    "\u200e",  # left-to-right mark
    "\u200f",
    "\u061c",
    "\u200b",  # zero-width space
    "\u2060",
    "\ufeff",
    "\u00ad",
]
KEPT = ["Dee 👩\u200d👩\u200d👧", "می\u200cخواهم", "José Núñez", "Ana-María O'Neil"]


@pytest.mark.parametrize("character", REFUSED)
def test_the_validator_refuses_each_character(character):
    with pytest.raises(Exception) as refused:
        refuse_invisible_formatting(f"Marcus{character}evil")
    assert str(MESSAGE) in str(refused.value)


@pytest.mark.parametrize("text", KEPT)
def test_joiners_and_ordinary_names_are_kept(text):
    refuse_invisible_formatting(text)
    assert forms.CharField().clean(text) == text
    assert serializers.CharField().run_validation(text) == text


def test_every_text_field_runs_it():
    with pytest.raises(forms.ValidationError):
        forms.CharField().clean("a\u202eb")
    with pytest.raises(forms.ValidationError):
        forms.EmailField().clean("a\u202e@example.org")
    with pytest.raises(serializers.ValidationError):
        serializers.CharField().run_validation("a\u2066b")


def test_the_api_refuses_them(api_a, agency_a):
    response = api_a.post(
        "/api/v1/participants/", {"preferred_name": "Marcus\u202egnp.exe"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["preferred_name"] == [str(MESSAGE)]
    participant = make_participant(agency_a)
    response = api_a.post(
        "/api/v1/commitments/",
        {
            "participant": participant.pk,
            "promised_by": "participant",
            "what": "Call \u2066back\u2069",
            "due_at": (timezone.now() + timezone.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["what"] == [str(MESSAGE)]


def test_the_staff_pages_refuse_them(agency_a, peer_a, peer_a_client):
    response = peer_a_client.post(
        "/a/agency-a/participants/new/",
        {
            "preferred_name": "Dee\u200b",
            "enrolled_on": agency_a.today().isoformat(),
            "language": "en",
        },
    )
    assert response.status_code == 400
    assert str(MESSAGE) in response.text
    with agency_scope(agency_a):
        assert not Participant.objects.exists()


def test_the_portal_and_the_check_in_page_refuse_them(agency_a, peer_a):
    from alliance.checkins.models import InstrumentItem
    from alliance.checkins.services import instrument_install_default

    with agency_scope(agency_a):
        instrument_install_default(agency=agency_a)
        text_items = list(InstrumentItem.objects.exclude(kind="scale"))
    participant = make_participant(agency_a, peer=peer_a)
    token = issue_link(participant)
    page = Client().post(f"/p/{token}/profile/", profile_data(pronouns="they\u202e"))
    assert page.status_code == 400 and str(MESSAGE) in page.text
    assert text_items
    _checkin, raw = make_checkin_request(participant)
    page = Client().post(f"/c/{raw}/", {f"item_{text_items[0].pk}": "more \u2067time"})
    assert page.status_code in (200, 400) and str(MESSAGE) in page.text
