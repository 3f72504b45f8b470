"""Disclosures made under a 42 CFR Part 2 consent (issue 18, item 3): staff record each one;
a revoked or expired consent is refused with its reason; the participant sees the list in
the portal and in the data download (tests/portal/test_transparency.py)."""

from datetime import timedelta

import pytest

from agencies.models import AuditEvent
from agencies.tenancy import agency_scope
from participants import services
from participants.models import Disclosure
from tests.conftest import client_for
from tests.factories import make_disclosure_consent, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a)


def record_url(participant) -> str:
    return f"/a/agency-a/participants/{participant.pk}/consents/disclosures/record/"


def form(consent, **overrides) -> dict:
    data = {
        "consent": consent.pk,
        "disclosed_on": consent.agency.today().isoformat(),
        "recipient": "County drug court, Judge Park's clerk",
        "information": "Attendance dates in March",
        "purpose": "Compliance reporting",
    }
    data.update(overrides)
    return data


def disclosures(participant) -> list:
    with agency_scope(participant.agency):
        return list(Disclosure.objects.filter(participant=participant))


def test_staff_record_a_disclosure_under_an_active_consent(participant, peer_a):
    consent = make_disclosure_consent(participant)
    browser = client_for(peer_a.user)
    page = browser.get(record_url(participant))
    assert page.status_code == 200
    assert "To County drug court, signed" in page.content.decode()
    response = browser.post(record_url(participant), form(consent), follow=True)
    assert "Disclosure recorded." in response.content.decode()
    [disclosure] = disclosures(participant)
    assert disclosure.consent_id == consent.pk
    assert disclosure.recorded_by_id == peer_a.user_id
    listing = browser.get(f"/a/agency-a/participants/{participant.pk}/consents/")
    assert "Attendance dates in March" in listing.content.decode()
    with agency_scope(participant.agency):
        assert AuditEvent.objects.filter(
            action="disclosure.recorded", object_id=str(disclosure.pk)
        ).exists()


def test_a_revoked_consent_is_refused_with_its_reason(participant, peer_a):
    consent = make_disclosure_consent(participant)
    with agency_scope(participant.agency):
        services.disclosure_consent_revoke(consent=consent, revoked_by=peer_a.user)
    response = client_for(peer_a.user).post(record_url(participant), form(consent))
    assert response.status_code == 400
    assert "This consent was revoked." in response.content.decode()
    assert disclosures(participant) == []


def test_an_expired_consent_is_refused_with_its_reason(participant, peer_a):
    today = participant.agency.today()  # the agency's day, which UTC may have left
    consent = make_disclosure_consent(
        participant, signed_on=today - timedelta(days=60), expires_on=today - timedelta(days=1)
    )
    response = client_for(peer_a.user).post(record_url(participant), form(consent))
    assert response.status_code == 400
    assert "This consent had expired on that day." in response.content.decode()
    assert disclosures(participant) == []
    # A disclosure made while it was still in force may be recorded late.
    earlier = (today - timedelta(days=10)).isoformat()
    client_for(peer_a.user).post(record_url(participant), form(consent, disclosed_on=earlier))
    assert len(disclosures(participant)) == 1


def test_before_signing_and_in_the_future_are_refused(participant, peer_a):
    consent = make_disclosure_consent(participant)
    browser = client_for(peer_a.user)
    yesterday = (participant.agency.today() - timedelta(days=1)).isoformat()
    response = browser.post(record_url(participant), form(consent, disclosed_on=yesterday))
    assert "This consent was not yet signed on that day." in response.content.decode()
    tomorrow = (participant.agency.today() + timedelta(days=2)).isoformat()
    response = browser.post(record_url(participant), form(consent, disclosed_on=tomorrow))
    assert "A disclosure cannot be dated in the future." in response.content.decode()
    assert disclosures(participant) == []


def test_another_participants_consent_cannot_be_relied_on(agency_a, participant, peer_a):
    other = make_participant(agency_a, peer=peer_a)
    theirs = make_disclosure_consent(other)
    response = client_for(peer_a.user).post(record_url(participant), form(theirs))
    assert response.status_code == 400
    assert disclosures(participant) == [] and disclosures(other) == []
