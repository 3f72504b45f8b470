"""The portal shows the participant their whole relationship (issue 14, point 8): the promises
staff made to them and what became of each, their own check-ins as a chart, and, in the data
download, the disclosure consents they signed."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.commitments import services as commitment_services
from alliance.commitments.models import Commitment
from tests.factories import (
    make_checkin_response,
    make_commitment,
    make_disclosure_consent,
    make_participant,
)
from tests.portal.test_portal import issue_link, url

pytestmark = pytest.mark.django_db


def promise(
    participant, peer, what, *, hours_ahead=2, outcome=None, due_hours_ago=None, moved=False
):
    commitment = make_commitment(participant, staff=peer, hours_ahead=hours_ahead, what=what)
    with agency_scope(participant.agency):
        if moved:
            commitment = commitment_services.commitment_renegotiate(
                commitment=commitment,
                new_due_at=commitment.due_at + timedelta(hours=1),
                reason="",
                asked_by="staff",
                by=peer.user,
            )
        if due_hours_ago is not None:
            Commitment.objects.filter(pk=commitment.pk).update(
                due_at=timezone.now() - timedelta(hours=due_hours_ago)
            )
            commitment.refresh_from_db()
        if outcome:
            commitment_services.commitment_close(
                commitment=commitment, outcome=outcome, by=peer.user
            )
    return commitment


@pytest.fixture
def marcus(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Marcus")


def test_the_portal_lists_each_promise_with_what_became_of_it(client, marcus, peer_a):
    promise(marcus, peer_a, "Call about the housing form", outcome="kept")
    promise(marcus, peer_a, "Bring the bus pass", due_hours_ago=5, outcome="kept")
    promise(marcus, peer_a, "Visit on Friday", moved=True, outcome="kept")
    promise(marcus, peer_a, "Send the clinic's number", due_hours_ago=30, outcome="missed")
    promise(marcus, peer_a, "Meet at the library", hours_ahead=26)
    promise(marcus, peer_a, "Text the schedule", due_hours_ago=1)
    with agency_scope(marcus.agency):
        commitment_services.commitment_create(
            participant=marcus,
            promised_by="participant",
            staff=None,
            what="I will go to the meeting",
            due_at=timezone.now() + timedelta(days=1),
            created_by=peer_a.user,
        )
    page = client.get(url(issue_link(marcus))).content.decode()
    section = page.split('id="promises-h"')[1].split("</section>")[0]

    def outcome_of(what):
        item = section.split(what)[1].split("</li>")[0]
        return item.split('class="promise-outcome">')[1].split("<")[0]

    assert outcome_of("Call about the housing form") == "Kept on time"
    assert outcome_of("Bring the bus pass") == "Kept late"
    assert outcome_of("Visit on Friday") == "Moved to a new time, then kept"
    assert outcome_of("Send the clinic&#x27;s number") == "Missed"
    assert outcome_of("Meet at the library") == "Upcoming"
    assert outcome_of("Text the schedule") == "Due time passed, not marked yet"
    assert "I will go to the meeting" not in page  # their own promises are not promises to them
    # Upcoming first, then the rest, most recently due first.
    assert section.index("Meet at the library") < section.index("Call about the housing form")
    assert "<strong>1</strong> kept on time" in section and "<strong>1</strong> missed" in section


def test_the_portal_draws_the_participants_own_checkins(client, marcus):
    page = client.get(url(issue_link(marcus))).content.decode()
    assert "You have not answered a check-in yet." in page and "<svg" not in page
    make_checkin_response(marcus, scale_value=5, days_ago=14)
    make_checkin_response(marcus, scale_value=2, days_ago=7)
    make_checkin_response(marcus, scale_value=4, days_ago=0)
    page = client.get(url(issue_link(marcus))).content.decode()
    section = page.split('id="checkins-h"')[1].split("</section>")[0]
    assert section.count("<circle") == 3
    assert 'role="img"' in section and "How our work together felt to you" in section
    assert "The latest was 75%; the lowest 25% and the highest 100%." in section
    assert section.count("<li><time") == 3
    assert "Alert threshold" not in section  # a staff notion, not theirs


def test_the_download_holds_promises_checkins_and_disclosure_consents(client, marcus, peer_a):
    promise(marcus, peer_a, "Call about the housing form", outcome="kept")
    make_checkin_response(marcus, scale_value=4)
    make_disclosure_consent(
        marcus, recipient="County Housing Office", purpose="Housing application"
    )
    other = make_participant(marcus.agency)
    make_disclosure_consent(other, recipient="Someone else's court")
    token = issue_link(marcus)
    record = json.loads(client.get(url(token, "export.json")).content)
    [consent] = record["disclosure_consents"]
    assert consent["to_whom"] == "County Housing Office"
    assert consent["for_what_purpose"] == "Housing application"
    assert consent["signed_on"] and consent["revoked_at"] is None
    [made] = record["commitments_made_to_you"]
    assert (made["what"], made["outcome"]) == ("Call about the housing form", "Kept on time")
    [checkin] = record["checkins"]
    assert checkin["percent_of_highest"] == 75.0
    rows = list(csv.reader(io.StringIO(client.get(url(token, "export.csv")).content.decode())))
    assert ["disclosure_consents", "1", "to_whom", "County Housing Office"] in rows
    assert "Someone else's court" not in str(rows)
