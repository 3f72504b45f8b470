"""Alerts are triaged (issue 14, point 3): an owner, a due time and a status; a wish to talk
with a supervisor is a request that tells every supervisor; repair ideas are ranked by the
practices that dipped in that check-in."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope
from alliance.checkins import services
from alliance.checkins.models import Alert, AlertStatus
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus, Notification
from alliance.messaging.services import Outcome, deliver
from tests.conftest import client_for
from tests.factories import make_checkin_response, make_member, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_instrument(agency_a):
    with agency_scope(agency_a):
        services.instrument_install_default(agency=agency_a)


@pytest.fixture
def person(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Lucía")


def alert_of(response):
    with agency_scope(response.agency_id):
        return Alert.objects.select_related("owner").get(response=response)


def test_a_new_alert_is_owned_by_the_peer_and_due_in_two_days(agency_a, peer_a, person):
    before = timezone.now()
    alert = alert_of(make_checkin_response(person, scale_value=3))
    assert alert.owner_id == peer_a.pk and alert.status == AlertStatus.OPEN
    assert before + timedelta(days=2) <= alert.due_at <= timezone.now() + timedelta(days=2)
    # A low answer on safety is due within a day.
    safety = alert_of(
        make_checkin_response(person, scale_value=5, answers_by_practice={"safety": 1})
    )
    assert "safety_item" in safety.rules
    assert safety.due_at <= timezone.now() + timedelta(days=1)


def test_staff_set_owner_due_time_and_status_and_the_list_shows_them(
    agency_a, peer_a, supervisor_a, person
):
    supervisor_a.user.first_name, supervisor_a.user.last_name = "Sam", "Okafor"
    supervisor_a.user.save()
    alert = alert_of(make_checkin_response(person, scale_value=1))
    browser = client_for(peer_a.user)
    url = f"/a/agency-a/alerts/{alert.pk}/"
    bad = browser.post(url + "triage/", {"owner": "", "due_at": "soon", "status": "open"})
    assert bad.status_code == 400 and "Enter a valid date/time." in bad.text
    saved = browser.post(
        url + "triage/",
        {"owner": supervisor_a.pk, "due_at": "2031-03-04T09:30", "status": "acknowledged"},
        follow=True,
    )
    assert "Saved." in saved.text
    with agency_scope(agency_a):
        alert.refresh_from_db()
        assert AuditEvent.objects.filter(action="alert.triaged").count() == 1
    assert alert.owner_id == supervisor_a.pk and alert.status == AlertStatus.ACKNOWLEDGED
    assert timezone.localtime(alert.due_at, ZoneInfo(agency_a.time_zone)).strftime(
        "%Y-%m-%d %H:%M"
    ) == ("2031-03-04 09:30")
    page = browser.get(url).text
    assert "In progress" in page and "Sam Okafor" in page
    listed = client_for(supervisor_a.user).get("/a/agency-a/alerts/?show=mine").text
    assert "Lucía" in listed and "Sam Okafor" in listed and "Tue, Mar 4, 2031, 9:30 AM" in listed
    assert "Lucía" not in browser.get("/a/agency-a/alerts/?show=mine").text  # not the peer's


def test_an_owner_from_another_agency_is_refused(agency_a, agency_b, peer_a, person):
    alert = alert_of(make_checkin_response(person, scale_value=1))
    stranger = make_member(agency_b, Role.SUPERVISOR)
    answer = client_for(peer_a.user).post(
        f"/a/agency-a/alerts/{alert.pk}/triage/", {"owner": stranger.pk, "status": "open"}
    )
    assert answer.status_code == 400
    with agency_scope(agency_a):
        alert.refresh_from_db()
    assert alert.owner_id == peer_a.pk


def test_asking_for_a_supervisor_is_a_request_that_tells_every_supervisor(
    agency_a, peer_a, supervisor_a, admin_a, person
):
    with agency_scope(agency_a):
        checkin, raw = services.checkin_request_create(
            participant=person, channel="link", created_by=None
        )
        items = list(checkin.instrument.items.all())
    data = {f"item_{item.pk}": "1" for item in items if item.kind == "scale"}
    Client().post(f"/c/{raw}/", data)
    chose = Client().post(f"/c/{raw}/choice/", {"choice": "supervisor"})
    assert chose.status_code == 200
    with agency_scope(agency_a):
        alert = Alert.objects.get(response__request=checkin)
        rows = list(Delivery.objects.filter(kind=DeliveryKind.SUPERVISOR_REQUEST))
        assert AuditEvent.objects.filter(action="alert.supervisor_requested").count() == 1
    assert alert.supervisor_requested_at is not None
    assert alert.due_at <= timezone.now() + timedelta(days=1)
    # Supervisors and admins, in the app and by email; not the peer (who has the alert).
    assert {(r.membership_id, r.channel) for r in rows} == {
        (supervisor_a.pk, "in_app"),
        (supervisor_a.pk, "email"),
        (admin_a.pk, "in_app"),
        (admin_a.pk, "email"),
    }
    with agency_scope(agency_a):
        Delivery.objects.update(status=DeliveryStatus.QUEUED)
        for row in rows:
            assert deliver(row.pk) == Outcome.SENT
        note = Notification.objects.filter(membership=supervisor_a).get()
    assert "Lucía asked to talk with a supervisor after a check-in." in note.text
    emails = [m for m in mail.outbox if "supervisor" in m.subject]
    assert len(emails) == 2
    for email in emails:  # decision 87: no name in staff email
        assert "Lucía" not in email.subject + email.body
        assert "A participant asked to talk with a supervisor" in email.body
    # The list puts it first, and has a view of its own.
    other = make_participant(agency_a, peer=peer_a, preferred_name="Bartholomew Quince")
    make_checkin_response(other, scale_value=1)
    browser = client_for(supervisor_a.user)
    listed = browser.get("/a/agency-a/alerts/").text
    assert listed.index("Lucía") < listed.index("Bartholomew Quince")
    assert "Wants to talk with a supervisor" in listed
    requests = browser.get("/a/agency-a/alerts/?show=supervisor").text
    assert "Lucía" in requests and "Bartholomew Quince" not in requests
    detail = browser.get(f"/a/agency-a/alerts/{alert.pk}/").text
    assert "They asked to talk with a supervisor." in detail


def _ideas(page_text):
    listed = re.findall(r"<li><strong>([^<]+)</strong>", page_text)
    return listed


def test_repair_ideas_follow_the_practices_that_dipped_lowest_first(agency_a, peer_a, person):
    make_checkin_response(person, scale_value=5, days_ago=7)
    listening_worst = make_checkin_response(
        person, scale_value=5, answers_by_practice={"listening": 1, "empathy": 2, "goals": 2}
    )
    browser = client_for(peer_a.user)
    first = browser.get(f"/a/agency-a/alerts/{alert_of(listening_worst).pk}/").text
    assert _ideas(first) == ["Active listening", "Empathy", "Collaborative goal-setting"]
    assert "more idea" not in first
    assert "(0%, down 100 points)" in first
    # Another check-in, another dip: other ideas, in its own order.
    boundaries_worst = make_checkin_response(
        person, scale_value=5, answers_by_practice={"boundaries": 1, "culture": 2}
    )
    second = browser.get(f"/a/agency-a/alerts/{alert_of(boundaries_worst).pk}/").text
    assert _ideas(second) == ["Clear boundaries", "Individuality and culture"]


def test_when_everything_dipped_the_three_lowest_come_first_and_the_rest_wait(
    agency_a, peer_a, person
):
    low = make_checkin_response(
        person, scale_value=2, answers_by_practice={"consistency": 1, "safety": 1}
    )
    page = client_for(peer_a.user).get(f"/a/agency-a/alerts/{alert_of(low).pk}/").text
    shown, more = page.split("<details>")
    assert _ideas(shown)[:2] == ["Safe and confidential space", "Consistency and reliability"]
    assert len(_ideas(shown)) == 3
    assert "6 more ideas" in more and len(_ideas(more)) == 6
