"""Consistency commitments: reminders before, a ledger of what happened, missed after grace,
the participant's one-tap answer, and the figures staff see."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from agencies.tenancy import agency_scope
from alliance.commitments import services as commitments
from alliance.commitments.models import Commitment, CommitmentEvent
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from participants.services import channel_consent_set
from tests.conftest import client_for
from tests.factories import make_commitment, make_member, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(agency_a, peer_a):
    person = make_participant(agency_a, peer=peer_a, preferred_name="Dee", phone="+12025550143")
    with agency_scope(agency_a):
        channel_consent_set(
            participant=person, channel="sms", granted=True, recorded_by=peer_a.user
        )
    return person


def deliveries(agency, **filters):
    with agency_scope(agency):
        return list(Delivery.objects.filter(**filters).order_by("due_at", "channel"))


def test_a_staff_promise_schedules_reminders_and_the_participants_question(
    agency_a, peer_a, participant
):
    commitment = make_commitment(participant, staff=peer_a, hours_ahead=48)
    reminders = deliveries(agency_a, kind=DeliveryKind.COMMITMENT_REMINDER)
    assert [(d.offset_key, d.channel) for d in reminders] == [
        ("-24h", "email"),
        ("-24h", "in_app"),
        ("-1h", "email"),
        ("-1h", "in_app"),
    ]
    assert reminders[0].due_at == commitment.due_at - timedelta(hours=24)
    assert all(d.membership_id == peer_a.pk for d in reminders)
    [question] = deliveries(agency_a, kind=DeliveryKind.FOLLOW_THROUGH)
    assert question.participant_id == participant.pk and question.channel == "sms"
    assert question.due_at == commitment.due_at + timedelta(hours=1)


def test_reminders_already_past_are_not_scheduled(agency_a, peer_a, participant):
    make_commitment(participant, staff=peer_a, hours_ahead=3)
    assert {d.offset_key for d in deliveries(agency_a, kind=DeliveryKind.COMMITMENT_REMINDER)} == {
        "-1h"
    }


def test_staff_page_records_a_commitment_in_the_agency_zone(agency_a, peer_a, participant):
    due = (timezone.now() + timedelta(days=3)).astimezone(timezone.get_fixed_timezone(-300))
    response = client_for(peer_a.user).post(
        f"/a/agency-a/participants/{participant.pk}/commitments/",
        {
            "what": "I'll call you Thursday at 3",
            "due_at": due.strftime("%Y-%m-%dT15:00"),
            "promised_by": "staff",
        },
    )
    assert response.status_code == 302
    with agency_scope(agency_a):
        commitment = Commitment.objects.get()
    local = timezone.localtime(
        commitment.due_at, __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert (local.hour, local.minute) == (15, 0)


def test_a_time_in_the_past_is_refused(agency_a, peer_a, participant):
    response = client_for(peer_a.user).post(
        f"/a/agency-a/participants/{participant.pk}/commitments/",
        {"what": "Call", "due_at": "2020-01-01T10:00", "promised_by": "staff"},
    )
    assert response.status_code == 400 and "in the future" in response.text


def test_renegotiating_cancels_old_reminders_and_schedules_new_ones(agency_a, peer_a, participant):
    commitment = make_commitment(participant, staff=peer_a, hours_ahead=48)
    new_due = commitment.due_at + timedelta(days=2)
    with agency_scope(agency_a):
        commitments.commitment_renegotiate(
            commitment=commitment,
            new_due_at=new_due,
            reason="Clinic moved",
            asked_by="participant",
            by=peer_a.user,
        )
        event = CommitmentEvent.objects.get(kind="renegotiated")
    assert {d.status for d in deliveries(agency_a, subject_version=1)} == {DeliveryStatus.CANCELLED}
    fresh = deliveries(agency_a, subject_version=2, kind=DeliveryKind.COMMITMENT_REMINDER)
    assert len(fresh) == 4 and fresh[0].due_at == new_due - timedelta(hours=24)
    assert (event.old_due_at, event.new_due_at, event.asked_by, event.reason) == (
        commitment.due_at,
        new_due,
        "participant",
        "Clinic moved",
    )


def test_kept_on_time_late_and_closing_twice(agency_a, peer_a, participant):
    on_time = make_commitment(participant, staff=peer_a, hours_ahead=2)
    late = make_commitment(participant, staff=peer_a, hours_ahead=2)
    browser = client_for(peer_a.user)
    browser.post(f"/a/agency-a/commitments/{on_time.pk}/close/", {"outcome": "kept"})
    with time_machine.travel(late.due_at + timedelta(hours=3)), agency_scope(agency_a):
        commitments.commitment_close(commitment=late, outcome="kept", by=peer_a.user)
    again = browser.post(
        f"/a/agency-a/commitments/{late.pk}/close/", {"outcome": "missed"}, follow=True
    )
    assert "already closed" in again.text
    with agency_scope(on_time.agency_id):
        on_time.refresh_from_db()
    with agency_scope(late.agency_id):
        late.refresh_from_db()
    assert (on_time.status, on_time.kept_on_time) == ("kept", True)
    assert (late.status, late.kept_on_time) == ("kept", False)
    assert {
        d.status
        for d in deliveries(agency_a, kind=DeliveryKind.COMMITMENT_REMINDER, subject_id=late.pk)
    } == {DeliveryStatus.CANCELLED}


def test_overdue_commitments_become_missed_after_grace_and_supervisors_hear(
    agency_a, peer_a, participant, supervisor_a
):
    commitment = make_commitment(participant, staff=peer_a, hours_ahead=1)
    within_grace = commitment.due_at + timedelta(minutes=30)
    after_grace = commitment.due_at + timedelta(minutes=61)
    assert commitments.commitments_mark_overdue_missed(now=within_grace) == 0
    assert commitments.commitments_mark_overdue_missed(now=after_grace) == 1
    assert commitments.commitments_mark_overdue_missed(now=after_grace) == 0
    with agency_scope(commitment.agency_id):
        commitment.refresh_from_db()
    assert commitment.status == "missed"
    told = deliveries(agency_a, kind=DeliveryKind.COMMITMENT_MISSED, channel="in_app")
    assert supervisor_a.pk in {d.membership_id for d in told}
    # The supervisor's notice, sent as the sweeper would, reads in their notifications.
    from alliance.messaging.models import Delivery
    from alliance.messaging.services import deliver

    (notice,) = [d for d in told if d.membership_id == supervisor_a.pk]
    with agency_scope(agency_a):
        Delivery.objects.filter(pk=notice.pk).update(status="queued")
        assert deliver(notice.pk) == "sent"
    page = client_for(supervisor_a.user).get("/a/agency-a/notifications/")
    assert f"missed a commitment to {participant.preferred_name}" in page.text


def test_participant_answers_the_follow_through_question_once(agency_a, peer_a, participant):
    from alliance.messaging.services import _RENDERERS

    commitment = make_commitment(participant, staff=peer_a, hours_ahead=1)
    [question] = deliveries(agency_a, kind=DeliveryKind.FOLLOW_THROUGH)
    with agency_scope(agency_a):
        message = _RENDERERS[DeliveryKind.FOLLOW_THROUGH](question)
    assert "did your peer follow through" in message.text  # no name, never the promise
    assert "Test" not in message.text
    assert "Call" not in message.text
    path = message.link.replace("http://testserver", "")
    page = Client().get(path)
    assert page.status_code == 200 and "Did Test follow through" in page.text
    with agency_scope(commitment.agency_id):
        commitment.refresh_from_db()
    assert commitment.participant_answered_at is None  # opening it changed nothing
    Client().post(path, {"answer": "no"})
    assert Client().post(path, {"answer": "yes"}).status_code == 410
    with agency_scope(commitment.agency_id):
        commitment.refresh_from_db()
    assert commitment.participant_says_kept is False


def test_consistency_counts_each_closed_commitment_once_and_the_shares_add_up_to_100(
    agency_a, peer_a, participant
):
    from alliance.commitments.selectors import consistency_for

    on_time, renegotiated, late = (
        make_commitment(participant, staff=peer_a, hours_ahead=5) for _ in range(3)
    )
    missed_after_renegotiating = make_commitment(participant, staff=peer_a, hours_ahead=5)
    missed = make_commitment(participant, staff=peer_a, hours_ahead=5)
    with agency_scope(agency_a):
        for commitment in (renegotiated, missed_after_renegotiating):
            commitments.commitment_renegotiate(
                commitment=commitment,
                new_due_at=commitment.due_at + timedelta(hours=1),
                reason="Traffic",
                asked_by="staff",
                by=peer_a.user,
            )
        for commitment in (on_time, renegotiated):
            commitments.commitment_close(commitment=commitment, outcome="kept", by=peer_a.user)
        for commitment in (missed_after_renegotiating, missed):
            commitments.commitment_close(commitment=commitment, outcome="missed", by=peer_a.user)
    with time_machine.travel(timezone.now() + timedelta(hours=8), tick=False):
        with agency_scope(agency_a):
            commitments.commitment_close(commitment=late, outcome="kept", by=peer_a.user)
            figures = consistency_for(staff=peer_a)
    counts = [
        figures[f"n_{name}"] for name in ("kept_on_time", "kept_late", "renegotiated", "missed")
    ]
    shares = [
        figures[f"{name}_share"] for name in ("kept_on_time", "kept_late", "renegotiated", "missed")
    ]
    assert figures["n_closed"] == 5 and counts == [1, 1, 1, 2] and shares == [20, 20, 20, 40]
    page = client_for(peer_a.user).get(f"/a/agency-a/participants/{participant.pk}/commitments/")
    assert "Of 5 commitments closed:" in page.text
    assert "Kept late" in page.text and "40% (2)" in page.text


def test_thirds_are_shown_as_34_33_33_not_as_three_33s(agency_a, peer_a, participant):
    from alliance.commitments.selectors import consistency_for

    kept, late, missed = (
        make_commitment(participant, staff=peer_a, hours_ahead=5) for _ in range(3)
    )
    with agency_scope(agency_a):
        commitments.commitment_close(commitment=kept, outcome="kept", by=peer_a.user)
        commitments.commitment_close(commitment=missed, outcome="missed", by=peer_a.user)
    with time_machine.travel(timezone.now() + timedelta(hours=8), tick=False):
        with agency_scope(agency_a):
            commitments.commitment_close(commitment=late, outcome="kept", by=peer_a.user)
            figures = consistency_for()
    shares = [
        figures[f"{name}_share"] for name in ("kept_on_time", "kept_late", "renegotiated", "missed")
    ]
    assert shares == [34, 33, 0, 33]
    page = client_for(peer_a.user).get(f"/a/agency-a/participants/{participant.pk}/commitments/")
    assert "Of 3 commitments closed:" in page.text and "34% (1)" in page.text


@pytest.mark.parametrize(
    "counts, shares",
    [
        ([1, 1, 1, 0], [34, 33, 33, 0]),
        ([2, 1, 0, 0], [67, 33, 0, 0]),
        ([1, 1, 1, 1], [25, 25, 25, 25]),
        ([1, 5, 1, 0], [14, 72, 14, 0]),
        ([0, 0, 0, 0], [0, 0, 0, 0]),
        ([7, 0, 0, 0], [100, 0, 0, 0]),
    ],
)
def test_shares_are_whole_percentages_that_add_up_to_100(counts, shares):
    from alliance.commitments.selectors import shares_summing_to_100

    assert shares_summing_to_100(counts) == shares
    assert sum(shares) in (0, 100)


def test_the_shares_add_up_to_100_for_any_counts():
    from alliance.commitments.selectors import shares_summing_to_100

    for a in range(12):
        for b in range(12):
            for c in range(5):
                counts = [a, b, c, (a * b + c) % 7]
                shares = shares_summing_to_100(counts)
                if sum(counts):
                    assert sum(shares) == 100
                    assert all(
                        abs(s - 100 * n / sum(counts)) < 1
                        for s, n in zip(shares, counts, strict=True)
                    )


def test_peers_cannot_touch_commitments_outside_their_caseload(agency_a, peer_a):
    other = make_participant(agency_a, peer=make_member(agency_a, Role.PEER))
    commitment = make_commitment(other)
    browser = client_for(peer_a.user)
    assert (
        browser.post(
            f"/a/agency-a/commitments/{commitment.pk}/close/", {"outcome": "kept"}
        ).status_code
        == 404
    )


def test_home_shows_my_week_and_consistency_in_constant_queries(
    agency_a, peer_a, participant, supervisor_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_commitment(participant, staff=peer_a, hours_ahead=30, what="Call about the job fair")
    peer_home = client_for(peer_a.user).get("/a/agency-a/")
    assert "Call about the job fair" in peer_home.text and "Dee" in peer_home.text
    assert "By peer specialist" not in peer_home.text  # agency figures are for supervisors
    boss = client_for(supervisor_a.user)
    boss.get("/a/agency-a/")
    with CaptureQueriesContext(connection) as few:
        assert "By peer specialist" in boss.get("/a/agency-a/").text
    for _ in range(10):
        peer = make_member(agency_a, Role.PEER)
        with agency_scope(agency_a):
            commitments.commitment_close(
                commitment=make_commitment(participant, staff=peer), outcome="kept", by=peer.user
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        boss.get("/a/agency-a/")
