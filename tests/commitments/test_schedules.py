"""Scheduled check-ins: a changed, stopped or restarted schedule sends its next link (and
not the old schedule's); after the link has gone out, one reminder before the link expires
(none once the check-in is done), and N expired unanswered in a row raise an alert, once."""

import zoneinfo
from datetime import time, timedelta

import pytest
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.checkins import services
from alliance.checkins.models import Alert, AlertRule, CheckInRequest
from alliance.checkins.services import checkins_count_missed
from alliance.commitments.models import CheckInSchedule
from alliance.commitments.services import checkin_schedule_set, checkin_schedules_run
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from alliance.messaging.services import deliver, sweep
from alliance.messaging.transports import MemorySMS
from participants.services import channel_consent_set
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    MemorySMS.outbox.clear()


@pytest.fixture
def participant(agency_a, peer_a):
    person = make_participant(agency_a, peer=peer_a, preferred_name="Dee", phone="+12025550143")
    with agency_scope(agency_a):
        channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    return person


@pytest.fixture
def schedule(agency_a, participant):
    with agency_scope(agency_a):
        return CheckInSchedule.objects.create(agency=agency_a, participant=participant)


def send(row):
    """Claim the row as the sweeper would and deliver it, in its agency's scope."""
    with agency_scope(row.agency_id):
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        return deliver(row.pk)


def scheduled_link(agency, schedule) -> Delivery:
    """The scheduled check-in link, sent now; returns its reminder row."""
    with agency_scope(agency):
        invite = Delivery.objects.create(
            agency=agency,
            kind=DeliveryKind.CHECKIN_INVITE,
            subject_id=schedule.pk,
            participant=schedule.participant,
            recipient_key=f"p:{schedule.participant_id}",
            channel="sms",
            due_at=timezone.now(),
        )
    assert send(invite) == "sent"
    with agency_scope(agency):
        return Delivery.objects.get(kind=DeliveryKind.CHECKIN_REMINDER)


def links_sent() -> int:
    return sum("/c/" in text for _address, text in MemorySMS.outbox)


def set_schedule(participant, **fields):
    with agency_scope(participant.agency_id):
        return checkin_schedule_set(participant=participant, **fields)


def run_when_due(schedule) -> list[Delivery]:
    """The beat's run at the schedule's next date; returns the invites it made."""
    with agency_scope(schedule.agency_id):
        before = set(Delivery.objects.values_list("pk", flat=True))
        due_at = CheckInSchedule.objects.get(pk=schedule.pk).next_due_at
    checkin_schedules_run(now=due_at)
    with agency_scope(schedule.agency_id):
        return list(
            Delivery.objects.filter(kind=DeliveryKind.CHECKIN_INVITE).exclude(pk__in=before)
        )


def test_a_changed_schedule_keeps_sending_links(agency_a, participant):
    monday = set_schedule(participant, every_weeks=1, weekday=0, local_time=time(10))
    (first,) = run_when_due(monday)
    assert send(first) == "sent" and links_sent() == 1
    # The peer moves the check-in to Thursday evenings.
    thursday = set_schedule(participant, every_weeks=1, weekday=3, local_time=time(18))
    local = thursday.next_due_at.astimezone(zoneinfo.ZoneInfo(participant.time_zone))
    assert (local.weekday(), local.time()) == (3, time(18))
    (second,) = run_when_due(thursday)
    assert second.due_at == thursday.next_due_at
    assert send(second) == "sent" and links_sent() == 2


def test_a_stopped_schedule_sends_nothing_and_a_restarted_one_sends_again(agency_a, participant):
    schedule = set_schedule(participant, every_weeks=2, weekday=1)
    (first,) = run_when_due(schedule)
    assert send(first) == "sent"
    assert set_schedule(participant, every_weeks=None) is None
    checkin_schedules_run(now=timezone.now() + timedelta(weeks=5))
    with agency_scope(agency_a):
        assert Delivery.objects.filter(kind=DeliveryKind.CHECKIN_INVITE).count() == 1
    restarted = set_schedule(participant, every_weeks=2, weekday=1)
    (again,) = run_when_due(restarted)
    assert send(again) == "sent" and links_sent() == 2


def test_an_invite_not_yet_sent_by_the_old_schedule_is_cancelled(agency_a, participant):
    schedule = set_schedule(participant, every_weeks=1, weekday=0)
    (waiting,) = run_when_due(schedule)  # made, not sent yet (held by quiet hours, say)
    set_schedule(participant, every_weeks=1, weekday=4)
    with agency_scope(agency_a):
        waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.CANCELLED
    claimed = [pk for _agency, pk in sweep(now=timezone.now() + timedelta(weeks=2))]
    assert waiting.pk not in claimed  # the sweeper never hands it to a worker


def test_an_unanswered_link_gets_one_reminder_saying_until_when_it_works(agency_a, schedule):
    reminder = scheduled_link(agency_a, schedule)
    assert send(reminder) == "sent"
    _address, text = MemorySMS.outbox[-1]
    assert text.startswith("Hi, a reminder: the check-in link we sent on")
    assert "works until" in text
    assert "/c/" not in text  # only the token's hash is stored: the reminder cannot repeat it


def test_no_reminder_once_the_check_in_is_done(agency_a, schedule):
    reminder = scheduled_link(agency_a, schedule)
    with agency_scope(agency_a):
        CheckInRequest.objects.update(completed_at=timezone.now())
    assert send(reminder) == "skipped"
    assert len(MemorySMS.outbox) == 1  # the link only
    with agency_scope(agency_a):
        reminder.refresh_from_db()
    assert reminder.skip_reason == "nothing_to_say"


def expired_scheduled_checkins(participant, schedule, count, *, answered=()):
    """`count` scheduled check-ins that expired a day apart (oldest first); those at the
    positions in `answered` were completed."""
    now = timezone.now()
    with agency_scope(participant.agency_id):
        for n in range(count):
            checkin, _raw = services.checkin_request_create(
                participant=participant, channel="sms", created_by=None, scheduled=True
            )
            CheckInRequest.objects.filter(pk=checkin.pk).update(
                expires_at=now - timedelta(days=count - n),
                completed_at=now - timedelta(days=count - n + 1) if n in answered else None,
            )


def missed_alerts(agency):
    with agency_scope(agency):
        return list(Alert.objects.filter(rules__contains=[AlertRule.MISSED]))


def test_two_missed_in_a_row_raise_one_alert(agency_a, participant, schedule):
    assert agency_a.alert_missed_in_a_row == 2
    expired_scheduled_checkins(participant, schedule, 2)
    assert checkins_count_missed() == 2
    (alert,) = missed_alerts(agency_a)
    assert alert.participant_id == participant.pk and alert.practices == ["consistency"]
    assert checkins_count_missed() == 0  # each counted once
    assert len(missed_alerts(agency_a)) == 1


def test_a_check_in_done_in_between_breaks_the_run(agency_a, participant, schedule):
    expired_scheduled_checkins(participant, schedule, 3, answered={1})
    checkins_count_missed()
    assert missed_alerts(agency_a) == []


def test_the_agency_sets_how_many_in_a_row(agency_a, participant, schedule):
    agency_a.alert_missed_in_a_row = 3
    agency_a.save()
    expired_scheduled_checkins(participant, schedule, 2)
    checkins_count_missed()
    assert missed_alerts(agency_a) == []


def test_a_new_run_after_the_alert_is_resolved_raises_a_new_one(agency_a, participant, schedule):
    expired_scheduled_checkins(participant, schedule, 2)
    checkins_count_missed()
    (first,) = missed_alerts(agency_a)
    expired_scheduled_checkins(participant, schedule, 1)  # missing on: still the same run
    checkins_count_missed()
    assert missed_alerts(agency_a) == [first]
    with agency_scope(agency_a):
        Alert.objects.filter(pk=first.pk).update(status="resolved")
    expired_scheduled_checkins(participant, schedule, 1)
    checkins_count_missed()
    assert len(missed_alerts(agency_a)) == 2
