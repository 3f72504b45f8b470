"""The caseload as a working list (issue 14, point 1): per participant the last check-in
score and its direction, open alerts (a wish to talk with a supervisor first), the next
commitment and overdue ones, days since contact against their own rhythm, consent to text;
sortable and filterable; the name search never in the address; one query for the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.checkins import services
from alliance.commitments.models import CheckInSchedule, Commitment
from participants.models import ChannelConsent, Contact
from tests.conftest import client_for
from tests.factories import (
    make_checkin_response,
    make_commitment,
    make_participant,
)

pytestmark = pytest.mark.django_db

BASE = "/a/agency-a/participants/"


def _contact(participant, peer, days_ago):
    with agency_scope(participant.agency_id):
        Contact.objects.create(
            agency=participant.agency,
            participant=participant,
            staff=peer,
            occurred_at=timezone.now() - timedelta(days=days_ago),
        )


def _texting_ok(participant):
    with agency_scope(participant.agency_id):
        ChannelConsent.objects.create(
            agency=participant.agency,
            participant=participant,
            channel="sms",
            granted_at=timezone.now(),
        )


def _rows(page):
    return {row.name: row for row in page.context["rows"]}


def _busy_participant(agency, peer, n):
    """A participant with every column filled: two check-ins (the second a dip with the
    wish to talk with a supervisor), a commitment overdue and one ahead, a schedule, contact,
    and consent to text."""
    participant = make_participant(agency, peer=peer, preferred_name=f"Person {n:02d}")
    make_checkin_response(participant, scale_value=5, days_ago=10)
    low = make_checkin_response(participant, scale_value=1)
    with agency_scope(agency):
        assert services.repair_choice_record(response=low, choice="supervisor")
    late = make_commitment(participant, staff=peer, hours_ahead=48)
    make_commitment(participant, staff=peer, hours_ahead=72, what="Bring the bus pass")
    with agency_scope(agency):
        Commitment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
        CheckInSchedule.objects.create(agency=agency, participant=participant, every_weeks=1)
    _contact(participant, peer, days_ago=9)
    _texting_ok(participant)
    return participant


def test_each_row_shows_score_direction_alert_commitments_contact_and_consent(agency_a, peer_a):
    busy = _busy_participant(agency_a, peer_a, 1)
    quiet = make_participant(agency_a, peer=peer_a, preferred_name="Quiet")
    make_checkin_response(quiet, scale_value=4, days_ago=3)
    make_checkin_response(quiet, scale_value=5)
    _contact(quiet, peer_a, days_ago=2)
    page = client_for(peer_a.user).get(BASE)
    rows = _rows(page)
    first, second = rows[busy.preferred_name], rows["Quiet"]
    assert first.percent == 0 and first.direction == "down"
    assert first.open_alert and first.wants_supervisor
    assert first.commitment_overdue and first.next_commitment_what == "Bring the bus pass"
    assert first.days_since_contact == 9 and first.cadence_days == 7 and first.contact_overdue
    assert first.okay_to_text
    assert second.direction == "up" and not second.open_alert
    assert not second.commitment_overdue and second.next_commitment_at is None
    assert second.days_since_contact == 2 and not second.contact_overdue
    assert not second.okay_to_text
    text = page.text
    assert "Wants to talk with a supervisor" in text and "Overdue" in text
    assert (
        "Past their 7-day rhythm" in text and "9 days ago" in text and "Bring the bus pass" in text
    )


@pytest.mark.parametrize(
    "flag, shown",
    [
        ("alert", {"Person 01"}),
        ("supervisor", {"Person 01"}),
        ("overdue", {"Person 01"}),
        ("contact_due", {"Person 01", "Never seen"}),
        ("dropped", {"Person 01"}),
        ("sms", {"Person 01"}),
        ("", {"Person 01", "Quiet", "Never seen"}),
    ],
)
def test_show_only_filters(agency_a, peer_a, flag, shown):
    _busy_participant(agency_a, peer_a, 1)
    quiet = make_participant(agency_a, peer=peer_a, preferred_name="Quiet")
    make_checkin_response(quiet, scale_value=4)
    _contact(quiet, peer_a, days_ago=1)
    make_participant(
        agency_a,
        peer=peer_a,
        preferred_name="Never seen",
        enrolled_on=agency_a.today() - timedelta(days=30),
    )
    page = client_for(peer_a.user).get(BASE, {"flag": flag})
    assert set(_rows(page)) == shown


def test_sorts_put_what_needs_attention_first(agency_a, peer_a):
    _busy_participant(agency_a, peer_a, 1)
    quiet = make_participant(agency_a, peer=peer_a, preferred_name="A quiet one")
    make_checkin_response(quiet, scale_value=4)
    _contact(quiet, peer_a, days_ago=1)
    browser = client_for(peer_a.user)
    assert [r.name for r in browser.get(BASE).context["rows"]] == ["A quiet one", "Person 01"]
    for sort in ("alert", "score", "next_commitment"):
        names = [r.name for r in browser.get(BASE, {"sort": sort}).context["rows"]]
        assert names == ["Person 01", "A quiet one"], sort
    page = browser.get(BASE, {"sort": "score"})
    assert 'aria-sort="ascending"><a href="?sort=score">Last check-in</a>' in page.text


def test_the_query_count_is_the_same_for_3_and_30_participants(agency_a, peer_a):
    browser = client_for(peer_a.user)
    counts = []
    for n in range(30):
        _busy_participant(agency_a, peer_a, n)
        if n + 1 in (3, 30):
            browser.get(BASE, {"sort": "alert"})  # warm the session and caches
            with CaptureQueriesContext(connection) as queries:
                page = browser.get(BASE, {"sort": "alert"})
            assert len(page.context["rows"]) == min(n + 1, 25)
            rows = [q["sql"] for q in queries if 'FROM "participants_participant"' in q["sql"]]
            assert len(rows) == 2  # the paginator's count, and the rows with every column
            counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_name_search_is_posted_kept_in_the_field_and_never_in_the_address(agency_a, peer_a):
    make_participant(agency_a, peer=peer_a, preferred_name="Rosa Quiroga")
    make_participant(agency_a, peer=peer_a, preferred_name="Bo")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(peer_a.user)
    page = browser.get(BASE, {"flag": "", "sort": "name"})
    assert '<form method="post" action="?flag=&amp;sort=name"' in page.text
    assert 'name="csrfmiddlewaretoken"' in page.text.split('id="caseload-search"')[1][:400]
    # Without the CSRF token the search is refused.
    assert browser.post(BASE, {"q": "rosa"}).status_code == 403
    token = browser.cookies["csrftoken"].value
    answer = browser.post(BASE + "?sort=name", {"q": "rosa", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and answer["Location"] == BASE + "?sort=name"
    found = browser.get(answer["Location"])
    assert [r.name for r in found.context["rows"]] == ["Rosa Quiroga"]
    assert 'value="rosa"' in found.text and "Clear search" in found.text
    browser.post(BASE, {"q": "", "csrfmiddlewaretoken": token})
    assert {r.name for r in browser.get(BASE).context["rows"]} == {"Rosa Quiroga", "Bo"}
