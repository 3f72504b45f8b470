"""Authenticity and transparency from the participant's side (issue 18): their peer's
introduction in their own words, and "who has seen my record", both in the portal."""

import html
import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from agencies import services as agency_services
from agencies.models import Role, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope
from alliance.messaging.models import DeliveryKind
from alliance.messaging.services import Outcome, deliver, delivery_schedule
from alliance.messaging.transports import MemorySMS
from participants import services
from tests.conftest import client_for
from tests.factories import (
    make_checkin_request,
    make_disclosure_consent,
    make_member,
    make_participant,
    make_user,
)
from tests.portal.test_portal import issue_link, url

pytestmark = pytest.mark.django_db

INTRO_EN = {
    "called": "Jordan",
    "pronouns": "they/them",
    "languages_spoken": "English and Spanish",
    "reachable": "Weekdays 9 to 5",
    "about": "I have been in recovery for eight years.",
}
INTRO_ES = {
    "called": "Jordán",
    "pronouns": "elle",
    "languages_spoken": "inglés y español",
    "reachable": "De lunes a viernes, de 9 a 5",
    "about": "Llevo ocho años en recuperación.",
}


def named_peer(agency, first="Jordan", last="Lee"):
    peer = make_member(agency, Role.PEER, user=make_user(first_name=first, last_name=last))
    return peer


def introduce(peer, **languages):
    with agency_scope(peer.agency):
        agency_services.introduction_save(membership=peer, data=languages)


def access_lines(page: str) -> list[str]:
    """The sentences of "who has seen your record", without the dates."""
    match = re.search(r'<ul class="access-list">(.*?)</ul>', page, re.DOTALL)
    items = re.findall(r"</time>: (.*?)</li>", match.group(1)) if match else []
    return [html.unescape(item) for item in items]


def home(token) -> str:
    response = Client().get(url(token))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    MemorySMS.outbox.clear()


# The peer's introduction -----------------------------------------------------------------------


def test_the_participant_reads_their_peers_introduction_in_their_language(agency_a):
    peer = named_peer(agency_a)
    introduce(peer, en=INTRO_EN, es=INTRO_ES)
    english = make_participant(agency_a, peer=peer, language="en")
    spanish = make_participant(agency_a, peer=peer, language="es")
    page = home(issue_link(english))
    assert "Your peer specialist, in their own words" in page
    for value in INTRO_EN.values():
        assert value in page
    assert "Llevo ocho años" not in page
    page = home(issue_link(spanish))
    assert "Tu compañero o compañera de apoyo, en sus propias palabras" in page
    for value in INTRO_ES.values():
        assert value in page
    assert "eight years" not in page


def test_the_other_language_is_shown_where_theirs_is_missing(agency_a):
    peer = named_peer(agency_a)
    introduce(peer, en=INTRO_EN)
    spanish = make_participant(agency_a, peer=peer, language="es")
    page = home(issue_link(spanish))
    assert "I have been in recovery for eight years." in page
    assert 'lang="en"' in page  # marked as English on the Spanish page, for screen readers


def test_no_introduction_no_section(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    assert "in their own words" not in home(issue_link(participant))
    unassigned = make_participant(agency_a, peer=None)
    assert "in their own words" not in home(issue_link(unassigned))


def test_after_a_transfer_the_new_peer_shows(agency_a, supervisor_a):
    first, second = named_peer(agency_a), named_peer(agency_a, "Sam", "Rivera")
    introduce(first, en={**INTRO_EN, "called": "Jordan"})
    introduce(second, en={**INTRO_EN, "called": "Sam R."})
    participant = make_participant(agency_a, peer=first)
    token = issue_link(participant)
    assert "Jordan" in home(token)
    with agency_scope(agency_a):
        services.participant_transfer(
            participant=participant, to_peer=second, changed_by=supervisor_a.user
        )
    page = home(token)
    assert "Sam R." in page
    assert "<dd>Jordan</dd>" not in page


def test_the_introduction_is_plain_text_escaped(agency_a):
    peer = named_peer(agency_a)
    introduce(peer, en={"called": "<b>Jo</b>", "about": '<script>alert("x")</script>\nLine two'})
    page = home(issue_link(make_participant(agency_a, peer=peer)))
    assert "&lt;b&gt;Jo&lt;/b&gt;" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>Line two" in page


def test_a_revoked_link_shows_nothing(agency_a):
    peer = named_peer(agency_a)
    introduce(peer, en=INTRO_EN)
    participant = make_participant(agency_a, peer=peer)
    token = issue_link(participant)
    with agency_scope(agency_a):
        services.portal_link_revoke(participant=participant, revoked_by=peer.user)
    response = Client().get(url(token))
    assert response.status_code == 404
    body = response.content.decode()
    for value in (*INTRO_EN.values(), "Who has seen your record", "Lee"):
        assert value not in body


def test_the_introduction_is_not_on_checkin_pages_or_in_texts(agency_a):
    peer = named_peer(agency_a)
    introduce(peer, en={**INTRO_EN, "called": "Jordie"}, es={**INTRO_ES, "called": "Jordie"})
    participant = make_participant(agency_a, peer=peer, phone="+12025550143")
    with agency_scope(agency_a):
        services.channel_consent_set(
            participant=participant, channel="sms", granted=True, recorded_by=None
        )
    _checkin, raw = make_checkin_request(participant)
    checkin_page = Client().get(f"/c/{raw}/").content.decode()
    assert "Jordie" not in checkin_page and "eight years" not in checkin_page
    with agency_scope(agency_a):
        row = delivery_schedule(
            agency_id=agency_a.pk,
            kind=DeliveryKind.PORTAL_LINK,
            subject_id=participant.pk,
            due_at=timezone.now(),
            channel="sms",
            participant=participant,
            offset_key="test",
        )
        row.status = "queued"
        row.save(update_fields=["status"])
        assert deliver(row.pk) == Outcome.SENT
    [(_address, text)] = MemorySMS.outbox
    for value in ("Jordie", "eight years", "they/them", "Weekdays"):
        assert value not in text


# Who has seen my record ------------------------------------------------------------------------


def test_a_staff_view_reads_in_plain_words(agency_a):
    peer = named_peer(agency_a)
    participant = make_participant(agency_a, peer=peer)
    token = issue_link(participant)
    assert (
        client_for(peer.user).get(f"/a/agency-a/participants/{participant.pk}/goals/").status_code
        == 200
    )
    page = home(token)
    assert "Who has seen your record" in page
    assert "Jordan Lee, your peer specialist, looked at your goals." in page


def test_roles_former_staff_platform_and_automated_jobs(agency_a):
    peer = named_peer(agency_a)
    supervisor = make_member(
        agency_a, Role.SUPERVISOR, user=make_user(first_name="Ana", last_name="Ruiz")
    )
    leaver = make_member(agency_a, Role.PEER, user=make_user(first_name="Lee", last_name="Gone"))
    platform = User.objects.create_superuser(email="root@rapport.example", password="x" * 20)
    participant = make_participant(agency_a, peer=peer)
    token = issue_link(participant)
    with agency_scope(agency_a):
        services.participant_viewed(participant=participant, actor=supervisor.user, what="page")
        services.participant_viewed(participant=participant, actor=leaver.user, what="checkins")
        services.participant_viewed(participant=participant, actor=platform, what="profile")
        audit_record(
            agency=agency_a,
            actor=None,
            actor_label="task:participant_import",
            action="participant.updated",
            target=participant,
        )
        leaver.is_active = False
        leaver.save(update_fields=["is_active"])
    page = home(token)
    assert "Ana Ruiz, a supervisor, looked at your record." in page
    assert "A former staff member looked at your check-in answers." in page
    assert "Lee Gone" not in page
    lines = access_lines(page)
    assert "Rapport's platform team, for maintenance, looked at how you want to be met." in lines
    assert "root@rapport.example" not in page
    assert "An automated job changed your record." in page


def test_in_spanish(agency_a):
    peer = named_peer(agency_a)
    participant = make_participant(agency_a, peer=peer, language="es")
    token = issue_link(participant)
    client_for(peer.user).get(f"/a/agency-a/participants/{participant.pk}/goals/")
    page = home(token)
    assert "Quién ha visto tu expediente" in page
    assert "Jordan Lee, tu compañero o compañera de apoyo, miró tus metas." in page


def test_the_participants_own_changes_read_as_theirs(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    token = issue_link(participant)
    Client().post(
        url(token, "profile/"),
        {"language": "en", "cultural_identity": "Boricua", "max_contacts_per_week": ""},
    )
    assert "You changed how you want to be met." in home(token)


def test_another_participants_reads_never_appear(agency_a, agency_b):
    peer = named_peer(agency_a)
    mine = make_participant(agency_a, peer=peer)
    theirs = make_participant(agency_a, peer=peer)
    token = issue_link(mine)
    browser = client_for(peer.user)
    for page in ("", "goals/", "checkins/", "commitments/"):
        assert browser.get(f"/a/agency-a/participants/{theirs.pk}/{page}").status_code == 200
    # The same id in another agency, read by its own staff.
    other_peer = named_peer(agency_b, "Other", "Agency")
    other = make_participant(agency_b, peer=other_peer)
    with agency_scope(agency_b):
        services.participant_viewed(participant=other, actor=other_peer.user, what="goals")
    page = home(token)
    assert "No one has looked at or changed your record in this time." in page
    assert access_lines(page) == []
    browser.get(f"/a/agency-a/participants/{mine.pk}/")
    assert access_lines(home(token)) == ["Jordan Lee, your peer specialist, looked at your record."]


def test_only_the_last_90_days_and_at_most_50(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    token = issue_link(participant)
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        with agency_scope(agency_a):
            services.participant_viewed(participant=participant, actor=peer_a.user, what="goals")
    assert access_lines(home(token)) == []
    with agency_scope(agency_a):
        for _ in range(55):
            services.participant_viewed(participant=participant, actor=peer_a.user, what="page")
    lines = access_lines(home(token))
    assert len(lines) == 50
    assert all(line.endswith("looked at your record.") for line in lines)


# Disclosures made under a consent (42 CFR Part 2) ----------------------------------------------


def test_the_participant_sees_each_disclosure_on_the_page_and_in_the_download(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    other = make_participant(agency_a, peer=peer_a)
    token = issue_link(participant)
    assert "Nothing has been shared." in home(token)
    for person, what in ((participant, "Attendance dates in March"), (other, "Not yours")):
        consent = make_disclosure_consent(person, recipient="County drug court")
        with agency_scope(agency_a):
            services.disclosure_record(
                participant=person,
                recorded_by=peer_a.user,
                data={
                    "consent": consent,
                    "disclosed_on": agency_a.today(),
                    "recipient": "Judge Park's clerk",
                    "information": what,
                    "purpose": "Compliance <reporting>",
                },
            )
    page = home(token)
    assert "Information shared with your consent" in page
    assert "Judge Park&#x27;s clerk" in page
    assert "Attendance dates in March" in page
    assert "Compliance &lt;reporting&gt;" in page
    assert "To County drug court, signed" in page
    assert "Not yours" not in page
    record = json.loads(Client().get(url(token, "export.json")).content)
    [disclosure] = record["disclosures"]
    assert disclosure["shared_with"] == "Judge Park's clerk"
    assert disclosure["what_was_shared"] == "Attendance dates in March"
    csv_text = Client().get(url(token, "export.csv")).content.decode()
    assert "Attendance dates in March" in csv_text and "Not yours" not in csv_text
