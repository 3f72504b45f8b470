"""The audit trail reads as sentences with links (issue 14, point 5; decision 114)."""

import pytest
from django.urls import reverse
from django.utils import translation

from agencies.models import AuditEvent, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope
from participants.audit_sentences import SENTENCES, audit_line, sentence_for
from participants.services import PARTICIPANT_LINK_ACTOR
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """English unless a test says otherwise (an earlier test may leave another active)."""
    with translation.override("en"):
        yield


def test_every_sentence_links_to_a_page_that_exists():
    for action, sentence in SENTENCES.items():
        assert reverse(sentence.route, args=["agency-a", 1]), action
        assert "%(who)s" in str(sentence.text) and "%(thing)s" in str(sentence.text)


def test_unknown_actions_read_as_a_generic_sentence_not_a_code():
    assert sentence_for("participant.viewed.something_new") is SENTENCES["participant.viewed.page"]
    assert sentence_for("participant.renamed") is SENTENCES["participant.updated"]


def _line(agency, participant, **event):
    with agency_scope(agency):
        saved = audit_record(agency=agency, target=participant, **event)
        saved = AuditEvent.objects.select_related("actor").get(pk=saved.pk)
        return audit_line(saved, participant=participant, agency_slug=agency.slug)


def test_sentences_name_who_acted_and_link_the_thing(agency_a, peer_a):
    peer_a.user.first_name, peer_a.user.last_name = "Jordan", "Lee"
    peer_a.user.save()
    marcus = make_participant(agency_a, preferred_name="Marcus")
    goals = f"/a/agency-a/participants/{marcus.pk}/goals/"
    line = _line(agency_a, marcus, actor=peer_a.user, action="participant.viewed.goals")
    assert line.html == f'Jordan Lee viewed <a href="{goals}">Marcus&#x27;s goals</a>'
    by_link = _line(
        agency_a, marcus, actor=None, actor_label=PARTICIPANT_LINK_ACTOR, action="profile.updated"
    )
    assert by_link.html.startswith("Marcus (through their own link) changed <a href=")
    job = _line(agency_a, marcus, actor=None, actor_label="api-key:7", action="participant.x")
    assert job.html.startswith("An integration (through the API) changed <a")
    with translation.override("es"):
        spanish = _line(agency_a, marcus, actor=peer_a.user, action="participant.viewed.goals")
    assert spanish.html == f'Jordan Lee miró <a href="{goals}">las metas de Marcus</a>'


def test_names_are_escaped_in_sentences(agency_a, peer_a):
    person = make_participant(agency_a, preferred_name="<b>Al</b>")
    line = _line(agency_a, person, actor=peer_a.user, action="participant.viewed.page")
    assert "<b>" not in line.html and "&lt;b&gt;Al&lt;/b&gt;" in line.html


def test_the_audit_page_shows_sentences_and_times_not_request_ids(admin_a_client, agency_a):
    person = make_participant(agency_a, preferred_name="Dee")
    admin_a_client.get(f"/a/agency-a/participants/{person.pk}/goals/")
    html = admin_a_client.get(f"/a/agency-a/participants/{person.pk}/audit/").text
    assert "Test viewed <a href=" in html and "Dee&#x27;s goals</a>." in html
    assert "<code>" not in html and "participant.viewed" not in html
    assert User.objects.count()  # the page is built from real users, not fixtures of text
