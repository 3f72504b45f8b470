"""The staff pages around a participant's commitments, driven as a staff member would: moving a
commitment to a new time, setting the participant's check-in schedule, and choosing how email
reminders arrive."""

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.commitments import services as commitments
from alliance.commitments.models import CheckInSchedule, Commitment, CommitmentEvent
from alliance.messaging.models import DeliveryKind, StaffPreference
from alliance.messaging.services import staff_message_schedule
from tests.conftest import client_for
from tests.factories import make_commitment, make_participant

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # the agencies' zone: staff type times in it


@pytest.fixture
def participant(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Dee")


@pytest.fixture
def commitment(participant, peer_a):
    return make_commitment(participant, staff=peer_a, hours_ahead=48, what="Call on Thursday")


def commitments_page(participant) -> str:
    return f"/a/agency-a/participants/{participant.pk}/commitments/"


def renegotiate_page(commitment) -> str:
    return f"/a/agency-a/commitments/{commitment.pk}/renegotiate/"


def schedule_url(participant) -> str:
    return f"/a/agency-a/participants/{participant.pk}/checkin-schedule/"


def in_days_at_three_pm(days: int) -> str:
    """What a staff member types in the datetime field: local to the agency."""
    day = (timezone.now() + timedelta(days=days)).astimezone(NEW_YORK).date()
    return f"{day.isoformat()}T15:00"


def renegotiation(commitment) -> tuple:
    """What a renegotiation would change, to show it did not."""
    with agency_scope(commitment.agency_id):
        stored = Commitment.objects.get(pk=commitment.pk)
        events = CommitmentEvent.objects.filter(commitment=commitment, kind="renegotiated").count()
    return stored.due_at, stored.version, stored.renegotiated, events


# Renegotiating a commitment ------------------------------------------------------------------


def test_renegotiate_page_shows_the_promise_and_the_form(peer_a, commitment):
    page = client_for(peer_a.user).get(renegotiate_page(commitment))
    assert page.status_code == 200
    assert "Call on Thursday" in page.text
    for field in ("new_due_at", "asked_by", "reason"):
        assert f'name="{field}"' in page.text


def test_renegotiating_moves_the_time_and_the_ledger_says_why(agency_a, peer_a, commitment):
    old_due = commitment.due_at
    typed = in_days_at_three_pm(5)
    browser = client_for(peer_a.user)
    response = browser.post(
        renegotiate_page(commitment),
        {"new_due_at": typed, "asked_by": "participant", "reason": "Clinic moved"},
    )
    assert response.status_code == 302
    assert response["Location"] == commitments_page(commitment.participant)
    with agency_scope(agency_a):
        stored = Commitment.objects.get(pk=commitment.pk)
        event = CommitmentEvent.objects.get(commitment=commitment, kind="renegotiated")
    assert stored.due_at.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M") == typed
    assert (stored.version, stored.renegotiated, stored.status) == (2, True, "open")
    assert (event.old_due_at, event.new_due_at) == (old_due, stored.due_at)
    assert (event.asked_by, event.reason, event.by_id) == (
        "participant",
        "Clinic moved",
        peer_a.user_id,
    )
    ledger = browser.get(response["Location"])
    assert "Renegotiated (Clinic moved)" in ledger.text


def test_renegotiating_twice_by_double_submit_stores_once(agency_a, peer_a, commitment):
    browser = client_for(peer_a.user)
    token = _submission_value(browser.get(renegotiate_page(commitment)).text)
    data = {
        "new_due_at": in_days_at_three_pm(5),
        "asked_by": "participant",
        "reason": "Clinic moved",
        "submission": token,
    }
    first = browser.post(renegotiate_page(commitment), data)
    again = browser.post(renegotiate_page(commitment), data)
    assert first.status_code == again.status_code == 302
    with agency_scope(agency_a):
        stored = Commitment.objects.get(pk=commitment.pk)
        events = CommitmentEvent.objects.filter(commitment=commitment, kind="renegotiated")
        assert (stored.version, events.count()) == (2, 1)
    assert "That was already saved." in browser.get(again["Location"]).text


def _submission_value(html: str) -> str:
    return re.search(r'name="submission" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"new_due_at": "2020-01-01T10:00"}, "new_due_at"),
        ({"new_due_at": "next Thursday"}, "new_due_at"),
        ({"new_due_at": ""}, "new_due_at"),
        ({"asked_by": "the judge"}, "asked_by"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
    ],
)
def test_a_bad_renegotiation_shows_the_field_error_and_changes_nothing(
    peer_a, commitment, bad, field
):
    before = renegotiation(commitment)
    data = {"new_due_at": in_days_at_three_pm(5), "asked_by": "staff", "reason": "Traffic"}
    response = client_for(peer_a.user).post(renegotiate_page(commitment), data | bad)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert "errorlist" in response.text
    assert renegotiation(commitment) == before


def test_renegotiating_a_closed_commitment_says_so_and_changes_nothing(
    agency_a, peer_a, commitment
):
    with agency_scope(agency_a):
        commitments.commitment_close(commitment=commitment, outcome="kept", by=peer_a.user)
    before = renegotiation(commitment)
    response = client_for(peer_a.user).post(
        renegotiate_page(commitment),
        {"new_due_at": in_days_at_three_pm(5), "asked_by": "staff", "reason": "Traffic"},
        follow=True,
    )
    assert response.redirect_chain == [
        (f"/a/agency-a/participants/{commitment.participant_id}/commitments/", 302)
    ]
    assert "This commitment was already closed." in response.text
    assert renegotiation(commitment) == before


def test_another_agencys_commitment_cannot_be_renegotiated(agency_b, peer_a):
    theirs = make_commitment(make_participant(agency_b))
    before = renegotiation(theirs)
    browser = client_for(peer_a.user)
    assert browser.get(renegotiate_page(theirs)).status_code == 404
    response = browser.post(
        renegotiate_page(theirs),
        {"new_due_at": in_days_at_three_pm(5), "asked_by": "staff", "reason": "Traffic"},
    )
    assert response.status_code == 404
    assert renegotiation(theirs) == before


# The participant's check-in schedule ---------------------------------------------------------


def stored_schedules(agency, participant) -> list[CheckInSchedule]:
    with agency_scope(agency):
        return list(CheckInSchedule.objects.filter(participant=participant))


def test_saving_a_checkin_schedule(agency_a, peer_a, participant):
    browser = client_for(peer_a.user)
    response = browser.post(
        schedule_url(participant), {"every_weeks": "2", "weekday": "3", "local_time": "18:30"}
    )
    assert response.status_code == 302
    assert response["Location"] == commitments_page(participant)
    [schedule] = stored_schedules(agency_a, participant)
    assert (schedule.every_weeks, schedule.weekday, schedule.local_time, schedule.is_active) == (
        2,
        3,
        time(18, 30),
        True,
    )
    next_local = schedule.next_due_at.astimezone(ZoneInfo(participant.time_zone))
    assert (next_local.weekday(), next_local.time()) == (3, time(18, 30))  # a Thursday, 18:30
    page = browser.get(response["Location"])
    assert "Check-in schedule saved." in page.text
    assert "Every 2 weeks; next link" in page.text


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        ({"every_weeks": "12"}, "Select a valid choice"),
        ({"weekday": "9"}, "Select a valid choice"),
        ({"local_time": "25:99"}, "Enter a valid time"),
        ({"local_time": ""}, "This field is required"),
    ],
)
def test_a_bad_schedule_says_why_and_saves_nothing(agency_a, peer_a, participant, bad, shown):
    data = {"every_weeks": "2", "weekday": "3", "local_time": "18:30"}
    response = client_for(peer_a.user).post(schedule_url(participant), data | bad, follow=True)
    assert response.redirect_chain == [(commitments_page(participant), 302)]
    assert "The schedule was not saved:" in response.text and shown in response.text
    assert "Check-in schedule saved." not in response.text
    assert stored_schedules(agency_a, participant) == []


def test_another_agencys_participant_gets_no_schedule(agency_b, peer_a):
    theirs = make_participant(agency_b)
    response = client_for(peer_a.user).post(
        schedule_url(theirs), {"every_weeks": "2", "weekday": "3", "local_time": "18:30"}
    )
    assert response.status_code == 404
    assert stored_schedules(agency_b, theirs) == []


# How a staff member wants their email reminders ----------------------------------------------

PREFERENCES = "/a/agency-a/preferences/reminders/"


def preferences_of(membership) -> list[str]:
    with agency_scope(membership.agency_id):
        return list(
            StaffPreference.objects.filter(membership=membership).values_list(
                "reminders", flat=True
            )
        )


def emails_scheduled_for(membership) -> list[str]:
    """The offset keys of the email rows a new reminder for `membership` would get."""
    with agency_scope(membership.agency_id):
        rows = staff_message_schedule(
            kind=DeliveryKind.COMMITMENT_REMINDER,
            subject_id=1,
            membership=membership,
            due_at=timezone.now() + timedelta(hours=1),
            offset_key="-1h",
        )
    return [row.offset_key for row in rows if row.channel == "email"]


def test_reminders_come_as_they_happen_until_chosen_otherwise(peer_a):
    page = client_for(peer_a.user).get(PREFERENCES)
    assert page.status_code == 200
    assert 'value="immediate" checked' in page.text
    assert 'value="digest" checked' not in page.text
    assert emails_scheduled_for(peer_a) == ["-1h"]


def test_choosing_the_daily_digest_is_saved_and_reminders_wait_for_it(peer_a):
    browser = client_for(peer_a.user)
    response = browser.post(PREFERENCES, {"reminders": "digest"})
    assert response.status_code == 302 and response["Location"] == PREFERENCES
    page = browser.get(PREFERENCES)
    assert "Preference saved." in page.text
    assert 'value="digest" checked' in page.text
    assert preferences_of(peer_a) == ["digest"]
    [email] = emails_scheduled_for(peer_a)
    assert email.endswith("@digest")


def test_an_unknown_choice_is_refused_and_nothing_stored(peer_a):
    response = client_for(peer_a.user).post(PREFERENCES, {"reminders": "weekly"})
    assert response.status_code == 400
    assert "Choose one of the options." in response.text
    assert "Preference saved." not in response.text
    assert preferences_of(peer_a) == []
    assert emails_scheduled_for(peer_a) == ["-1h"]


def test_the_supervisor_home_names_each_consistency_section_once(agency_a, supervisor_a):
    """FOUND-IN-USE: the supervisor's home showed the "Consistency" heading twice, and its two
    sections had the same id and name (axe: landmark-unique)."""
    page = client_for(supervisor_a.user).get(f"/a/{agency_a.slug}/").text
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert "My consistency, last 90 days" in headings
    assert "Consistency across the agency, last 90 days" in headings
    assert len(headings) == len(set(headings)), headings
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(ids)


# Recording a promise after the fact (FOUND-IN-USE, issue 14) ---------------------------------


def local(moment) -> str:
    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


def record(client, participant, **fields):
    data = {"what": "Call about the housing form", "promised_by": "staff", **fields}
    return client.post(commitments_page(participant), data)


def stored_commitments(participant) -> list[Commitment]:
    with agency_scope(participant.agency_id):
        return list(Commitment.objects.filter(participant=participant).order_by("id"))


def test_a_promise_made_this_morning_is_recorded_with_its_real_time(peer_a, participant):
    client = client_for(peer_a.user)
    now = timezone.now()
    made = now - timedelta(hours=3)
    response = record(
        client, participant, made_at=local(made), due_at=local(now + timedelta(days=1))
    )
    assert response.status_code == 302
    [commitment] = stored_commitments(participant)
    assert commitment.status == "open"
    assert abs((commitment.made_at - made).total_seconds()) < 60
    with agency_scope(participant.agency_id):
        [made_event] = CommitmentEvent.objects.filter(commitment=commitment, kind="created")
    assert abs((made_event.at - made).total_seconds()) < 60


@pytest.mark.parametrize(
    "already, status, on_time",
    [("kept_on_time", "kept", True), ("kept_late", "kept", False), ("missed", "missed", None)],
)
def test_a_promise_already_due_is_recorded_with_what_became_of_it(
    peer_a, participant, already, status, on_time
):
    client = client_for(peer_a.user)
    now = timezone.now()
    response = record(
        client,
        participant,
        made_at=local(now - timedelta(hours=5)),
        due_at=local(now - timedelta(hours=2)),
        already=already,
    )
    assert response.status_code == 302
    [commitment] = stored_commitments(participant)
    assert (commitment.status, commitment.kept_on_time) == (status, on_time)
    page = client.get(commitments_page(participant)).content.decode()
    assert "Call about the housing form" in page
    # No reminder for a time already past.
    with agency_scope(participant.agency_id):
        from alliance.messaging.models import Delivery

        assert not Delivery.objects.filter(
            kind=DeliveryKind.COMMITMENT_REMINDER, subject_id=commitment.pk
        ).exists()


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"due_at": -1}, "due_at", "This time has passed."),
        ({"made_at": 2, "due_at": 3}, "made_at", "A promise cannot be made in the future."),
        ({"made_at": -24 * 31, "due_at": 3}, "made_at", "Record promises within 30 days"),
        ({"made_at": -2, "due_at": -3, "already": "kept_on_time"}, "due_at", "before the promise"),
        ({"due_at": 3, "already": "missed"}, "already", "cannot be late or missed before"),
        ({"due_at": 3, "already": "kept_late"}, "already", "cannot be late or missed before"),
    ],
)
def test_times_that_cannot_be_true_are_refused_and_nothing_is_stored(
    peer_a, participant, fields, field, message
):
    now = timezone.now()
    data = {
        name: (local(now + timedelta(hours=value)) if name in ("due_at", "made_at") else value)
        for name, value in fields.items()
    }
    response = record(client_for(peer_a.user), participant, **data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert stored_commitments(participant) == []


def test_a_promise_kept_early_after_the_fact_counts_as_on_time(peer_a, participant):
    now = timezone.now()
    response = record(
        client_for(peer_a.user),
        participant,
        made_at=local(now - timedelta(hours=1)),
        due_at=local(now + timedelta(days=2)),
        already="kept_on_time",
    )
    assert response.status_code == 302
    [commitment] = stored_commitments(participant)
    assert (commitment.status, commitment.kept_on_time) == ("kept", True)
