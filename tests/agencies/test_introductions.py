"""A staff member's introduction for participants: the page to write it, and its service."""

import pytest

from agencies import selectors, services
from agencies.models import AuditEvent, Role, StaffIntroduction
from agencies.tenancy import agency_scope
from tests.conftest import client_for
from tests.factories import make_member

pytestmark = pytest.mark.django_db

URL = "/a/agency-a/me/introduction/"


def form_data(en: dict | None = None, es: dict | None = None) -> dict:
    data = {}
    for code, fields in (("en", en or {}), ("es", es or {})):
        for name in StaffIntroduction.TEXT_FIELDS:
            data[f"{code}-{name}"] = fields.get(name, "")
    return data


def stored(membership) -> dict:
    with agency_scope(membership.agency):
        return {
            row.language: {name: getattr(row, name) for name in StaffIntroduction.TEXT_FIELDS}
            for row in StaffIntroduction.objects.filter(membership=membership)
        }


@pytest.mark.parametrize("role", [Role.PEER, Role.SUPERVISOR, Role.ADMIN])
def test_every_role_writes_their_own_introduction(agency_a, role):
    member = make_member(agency_a, role)
    browser = client_for(member.user)
    page = browser.get(URL)
    assert page.status_code == 200
    assert "What participants can call you" in page.content.decode()
    response = browser.post(
        URL,
        form_data(
            en={"called": "Jordan", "pronouns": "they/them", "reachable": "Weekdays 9 to 5"},
            es={"called": "Jordan", "pronouns": "elle", "languages_spoken": "español, inglés"},
        ),
        follow=True,
    )
    assert "Your introduction is saved." in response.content.decode()
    assert stored(member)["en"]["reachable"] == "Weekdays 9 to 5"
    assert stored(member)["es"]["languages_spoken"] == "español, inglés"
    # The page shows what is stored, to change it.
    assert 'value="Weekdays 9 to 5"' in browser.get(URL).content.decode()


def test_nothing_is_required_and_a_blank_language_is_removed(agency_a, peer_a):
    browser = client_for(peer_a.user)
    assert browser.post(URL, form_data()).status_code == 302
    assert stored(peer_a) == {}
    browser.post(URL, form_data(en={"called": "Jo"}, es={"called": "Jo"}))
    assert set(stored(peer_a)) == {"en", "es"}
    browser.post(URL, form_data(en={"called": "Jo"}))
    assert set(stored(peer_a)) == {"en"}


def test_too_long_is_refused_and_nothing_is_stored(agency_a, peer_a):
    browser = client_for(peer_a.user)
    response = browser.post(URL, form_data(en={"called": "Jo", "about": "x" * 601}))
    assert response.status_code == 400
    assert "at most 600 characters" in response.content.decode()
    assert stored(peer_a) == {}


def test_saving_records_one_audit_event_without_the_words(agency_a, peer_a):
    with agency_scope(agency_a):
        services.introduction_save(
            membership=peer_a, data={"en": {"called": "Jordan", "about": "My own path"}}
        )
        events = list(AuditEvent.objects.filter(action="membership.introduction_saved"))
    assert len(events) == 1
    assert events[0].object_type == "membership"
    assert events[0].object_id == str(peer_a.pk)
    assert events[0].actor_id == peer_a.user_id


def test_one_member_cannot_write_anothers_introduction(agency_a, peer_a):
    """The page edits the signed-in member's own introduction only: there is no id to change."""
    other = make_member(agency_a, Role.PEER)
    client_for(other.user).post(URL, form_data(en={"called": "Other"}))
    assert stored(peer_a) == {}
    assert stored(other)["en"]["called"] == "Other"


def test_the_introduction_follows_the_language_then_the_other(agency_a, peer_a):
    with agency_scope(agency_a):
        services.introduction_save(membership=peer_a, data={"es": {"called": "Jordán"}})
        assert selectors.introduction_for(peer_a.pk, "en").called == "Jordán"
        services.introduction_save(
            membership=peer_a, data={"en": {"called": "Jordan"}, "es": {"called": "Jordán"}}
        )
        assert selectors.introduction_for(peer_a.pk, "en").called == "Jordan"
        assert selectors.introduction_for(peer_a.pk, "es").called == "Jordán"
        assert selectors.introduction_for(None, "es") is None


def test_a_former_staff_members_introduction_is_not_shown(agency_a, peer_a):
    with agency_scope(agency_a):
        services.introduction_save(membership=peer_a, data={"en": {"called": "Jordan"}})
        peer_a.is_active = False
        peer_a.save(update_fields=["is_active"])
        assert selectors.introduction_for(peer_a.pk, "en") is None


def test_another_agencys_member_gets_404(agency_a, admin_b):
    assert client_for(admin_b.user).get(URL).status_code == 404
