"""The delivery mechanism: each message once, never in quiet hours or on observances, within
consent and the weekly maximum, on time across daylight-saving changes, retried on transient
provider errors and then marked failed."""

import threading
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
import responses
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.commitments.models import CheckInSchedule
from alliance.commitments.services import checkin_schedules_run, schedule_next_due
from alliance.messaging import services as delivery
from alliance.messaging.contact_policy import next_allowed_time
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus, Notification
from alliance.messaging.services import Outcome, deliver, delivery_schedule, sweep
from alliance.messaging.transports import MemorySMS
from participants.models import CulturalProfile
from participants.services import channel_consent_set
from tests.factories import make_commitment, make_participant

pytestmark = pytest.mark.django_db
UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    MemorySMS.outbox.clear()


@pytest.fixture
def participant(agency_a, peer_a):
    person = make_participant(
        agency_a, peer=peer_a, preferred_name="Dee", phone="+12025550143", email="dee@example.org"
    )
    with agency_scope(agency_a):
        channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    return person


def profile_of(participant, **changes):
    with agency_scope(participant.agency_id):
        CulturalProfile.objects.filter(participant=participant).update(**changes)
        return CulturalProfile.objects.get(participant=participant)


def send_now(row, now=None):
    """Claim the row as the sweeper would and deliver it, in its agency's scope."""
    with agency_scope(row.agency_id):
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        return deliver(row.pk, now=now)


def reminder_for_participant(participant, due_at, channel="sms"):
    commitment = make_commitment(participant, hours_ahead=72)
    with agency_scope(participant.agency_id):
        commitment.promised_by = "participant"
        commitment.save()
        return delivery_schedule(
            agency_id=participant.agency_id,
            kind=DeliveryKind.COMMITMENT_REMINDER,
            subject_id=commitment.pk,
            due_at=due_at,
            channel=channel,
            participant=participant,
            offset_key="-24h",
        )


def status_of(row):
    with agency_scope(row.agency_id):
        return Delivery.objects.get(pk=row.pk)


# What a text says ------------------------------------------------------------------------------


def test_texts_to_participants_name_nobody(agency_a, peer_a):
    """Every kind of message a participant can get, sent by SMS: none names them or their peer
    (a phone's lock screen shows the text to whoever holds it)."""
    peer_a.user.first_name, peer_a.user.last_name = "Marisol", "Quintero"
    peer_a.user.save()
    participant = make_participant(
        agency_a, peer=peer_a, preferred_name="Dee", legal_name="Deanna Voss", phone="+12025550143"
    )
    with agency_scope(agency_a):
        channel_consent_set(participant=participant, channel="sms", granted=True, recorded_by=None)
    profile_of(participant, max_contacts_per_week=20)
    commitment = make_commitment(participant, staff=peer_a, what="Call Dee about court")
    with agency_scope(agency_a):
        schedule = CheckInSchedule.objects.create(agency=agency_a, participant=participant)
    subjects = {
        DeliveryKind.COMMITMENT_REMINDER: commitment.pk,
        DeliveryKind.FOLLOW_THROUGH: commitment.pk,
        DeliveryKind.PORTAL_LINK: participant.pk,
        DeliveryKind.CHECKIN_INVITE: schedule.pk,
        DeliveryKind.CHECKIN_LINK: participant.pk,
    }
    for kind, subject_id in subjects.items():
        with agency_scope(agency_a):
            row = delivery_schedule(
                agency_id=agency_a.pk,
                kind=kind,
                subject_id=subject_id,
                due_at=timezone.now(),
                channel="sms",
                participant=participant,
                offset_key="test",
            )
        assert send_now(row) == Outcome.SENT, kind
    with agency_scope(agency_a):  # the check-in link's own reminder, made when it was sent
        reminder = Delivery.objects.get(kind=DeliveryKind.CHECKIN_REMINDER)
    assert send_now(reminder) == Outcome.SENT
    texts = [text for _address, text in MemorySMS.outbox]
    assert len(texts) == 6
    for text in texts:
        assert text.startswith("Hi, ")
        for private in ("Dee", "Deanna", "Voss", "Marisol", "Quintero", "court", "2025550143"):
            assert private not in text, (private, text)


# Each message once -----------------------------------------------------------------------------


def test_scheduling_twice_gives_one_row(agency_a, participant):
    first = reminder_for_participant(participant, timezone.now())
    with agency_scope(agency_a):
        again = delivery_schedule(
            agency_id=agency_a.pk,
            kind=first.kind,
            subject_id=first.subject_id,
            due_at=first.due_at + timedelta(hours=1),
            channel="sms",
            participant=participant,
            offset_key="-24h",
        )
    assert again.pk == first.pk


def test_a_delivery_is_sent_once_even_if_its_task_runs_twice(agency_a, participant):
    row = reminder_for_participant(participant, timezone.now() - timedelta(minutes=1))
    assert send_now(row) == Outcome.SENT
    with agency_scope(agency_a):
        assert deliver(row.pk) == Outcome.GONE  # a redelivered task finds it sent
    assert len(MemorySMS.outbox) == 1
    address, text = MemorySMS.outbox[0]
    assert address == "+12025550143" and text.startswith("Hi, a reminder about what you planned")


def test_in_app_is_exactly_once_even_when_handed_out_again(agency_a, peer_a):
    with agency_scope(agency_a):
        row = delivery.staff_message_schedule(
            kind=DeliveryKind.ALERT, subject_id=999, membership=peer_a, due_at=timezone.now()
        )[0]
    assert send_now(row) == Outcome.SKIPPED  # no such alert: nothing to say
    participant = make_participant(agency_a, peer=peer_a)
    from tests.factories import make_alert

    alert = make_alert(participant)
    with agency_scope(agency_a):
        row = delivery.staff_message_schedule(
            kind=DeliveryKind.ALERT, subject_id=alert.pk, membership=peer_a, due_at=timezone.now()
        )[0]
    assert send_now(row) == Outcome.SENT
    with agency_scope(row.agency_id):  # stale reclaim
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
    assert send_now(row) == Outcome.SENT
    with agency_scope(agency_a):
        assert Notification.objects.filter(delivery=row).count() == 1


def test_two_sweepers_at_once_claim_each_row_once(agency_a, participant):
    from django.db import transaction

    past = timezone.now() - timedelta(minutes=1)
    with agency_scope(agency_a), transaction.atomic():
        for n in range(200):
            delivery_schedule(
                agency_id=agency_a.pk,
                kind=DeliveryKind.CHECKIN_REMINDER,
                subject_id=n,
                due_at=past,
                channel="sms",
                participant=participant,
            )
    claimed, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            claimed.extend(sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(claimed) == 200 and len(set(claimed)) == 200


test_two_sweepers_at_once_claim_each_row_once = pytest.mark.django_db(transaction=True)(
    test_two_sweepers_at_once_claim_each_row_once
)


# Consent, quiet hours, observances, weekly maximum ---------------------------------------------


def test_revoked_consent_stops_the_message_at_send_time(agency_a, participant):
    row = reminder_for_participant(participant, timezone.now())
    with agency_scope(agency_a):
        channel_consent_set(participant=participant, channel="sms", granted=False, recorded_by=None)
    assert send_now(row) == Outcome.SKIPPED
    assert status_of(row).skip_reason == "no_consent" and MemorySMS.outbox == []


def test_a_message_due_in_quiet_hours_goes_at_their_end(agency_a, participant):
    profile_of(participant, quiet_hours_start=time(21), quiet_hours_end=time(8))
    new_york = zoneinfo.ZoneInfo("America/New_York")
    tomorrow = (timezone.now().astimezone(new_york) + timedelta(days=1)).date()
    night = datetime.combine(
        tomorrow, time(23, 30), tzinfo=new_york
    )  # the promise is due in 3 days
    row = reminder_for_participant(participant, night)
    assert send_now(row, now=night) == Outcome.DEFERRED
    assert status_of(row).due_at == datetime.combine(
        tomorrow + timedelta(days=1), time(8), tzinfo=new_york
    )
    assert status_of(row).status == DeliveryStatus.PENDING and MemorySMS.outbox == []


def test_a_reminder_pointless_after_quiet_hours_is_skipped_and_recorded(agency_a, participant):
    profile_of(participant, quiet_hours_start=time(21), quiet_hours_end=time(8))
    new_york = zoneinfo.ZoneInfo("America/New_York")
    night = datetime(2026, 12, 1, 22, 0, tzinfo=new_york)
    commitment = make_commitment(participant, hours_ahead=72)
    with agency_scope(agency_a):
        commitment.due_at = datetime(2026, 12, 1, 23, 0, tzinfo=new_york)  # before quiet hours end
        commitment.promised_by = "participant"
        commitment.save()
        row = delivery_schedule(
            agency_id=agency_a.pk,
            kind=DeliveryKind.COMMITMENT_REMINDER,
            subject_id=commitment.pk,
            due_at=night,
            channel="sms",
            participant=participant,
        )
    assert send_now(row, now=night) == Outcome.SKIPPED
    assert status_of(row).skip_reason == "pointless_after_quiet_time"


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-12-01 20:59", "2026-12-01 20:59"),  # before quiet hours: now
        ("2026-12-01 21:00", "2026-12-02 08:00"),
        ("2026-12-02 00:30", "2026-12-02 08:00"),  # after midnight, still quiet
        ("2026-12-02 08:00", "2026-12-02 08:00"),
    ],
)
def test_quiet_hours_across_midnight(participant, moment, expected):
    profile = profile_of(participant, quiet_hours_start=time(21), quiet_hours_end=time(8))
    zone = zoneinfo.ZoneInfo("America/New_York")
    at = datetime.fromisoformat(moment).replace(tzinfo=zone)
    allowed = next_allowed_time(profile=profile, time_zone="America/New_York", at=at)
    assert allowed == datetime.fromisoformat(expected).replace(tzinfo=zone)


def test_observance_days_are_skipped(participant):
    profile = profile_of(participant, observance_weekdays=[5], observance_dates=["2026-12-25"])
    zone = zoneinfo.ZoneInfo("America/New_York")
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=zone)
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=zone)
    assert next_allowed_time(
        profile=profile, time_zone="America/New_York", at=saturday
    ) == datetime(2026, 12, 6, 0, 0, tzinfo=zone)
    # Christmas 2026 is a Friday, and the Saturday after it is a weekly observance too.
    assert next_allowed_time(
        profile=profile, time_zone="America/New_York", at=christmas
    ) == datetime(2026, 12, 27, 0, 0, tzinfo=zone)


def test_the_weekly_maximum_holds_messages_back(agency_a, participant):
    profile_of(participant, max_contacts_per_week=2)
    now = timezone.now()
    first = reminder_for_participant(participant, now)
    assert send_now(first, now=now) == Outcome.SENT
    second = reminder_for_participant(participant, now)
    assert send_now(second, now=now) == Outcome.SENT
    third = reminder_for_participant(participant, now)
    assert send_now(third, now=now + timedelta(minutes=1)) in (Outcome.DEFERRED, Outcome.SKIPPED)
    assert len(MemorySMS.outbox) == 2


# Time zones and daylight saving -------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, day, utc_hour",
    [
        ("America/New_York", "2026-03-08", 13),  # spring forward: 09:00 EDT
        ("America/New_York", "2026-11-01", 14),  # fall back: 09:00 EST
        ("America/Phoenix", "2026-03-08", 16),  # no daylight saving
        ("America/Phoenix", "2026-11-01", 16),
        ("Europe/Madrid", "2026-03-29", 7),  # spring forward: 09:00 CEST
        ("Europe/Madrid", "2026-10-25", 8),  # fall back: 09:00 CET
    ],
)
def test_a_9am_local_schedule_fires_once_at_the_right_instant_on_dst_days(
    agency_a, zone, day, utc_hour
):
    participant = make_participant(agency_a, time_zone=zone, phone="+12025550143")
    with agency_scope(agency_a):
        channel_consent_set(participant=participant, channel="sms", granted=True, recorded_by=None)
    target = datetime.fromisoformat(day).date()
    schedule = CheckInSchedule(
        agency=agency_a,
        participant=participant,
        every_weeks=1,
        weekday=target.weekday(),
        local_time=time(9),
    )
    day_before = datetime.combine(target - timedelta(days=1), time(12), tzinfo=UTC)
    schedule.next_due_at = schedule_next_due(schedule, day_before, first=True)
    with agency_scope(agency_a):
        schedule.save()
    expected = datetime.combine(target, time(utc_hour), tzinfo=UTC)
    assert schedule.next_due_at == expected
    for minutes in (-1, 0, 1, 2, 60):  # the sweeper runs every minute
        checkin_schedules_run(now=expected + timedelta(minutes=minutes))
    with agency_scope(agency_a):
        invites = list(Delivery.objects.filter(kind=DeliveryKind.CHECKIN_INVITE))
        schedule.refresh_from_db()
    assert len(invites) == 1 and invites[0].due_at == expected
    assert (
        schedule.next_due_at == expected + timedelta(weeks=1)
        or schedule.next_due_at.astimezone(zoneinfo.ZoneInfo(zone)).hour == 9
    )


def test_a_scheduled_check_in_link_is_made_when_sent_and_says_when_it_expires(
    agency_a, participant
):
    from alliance.checkins.models import CheckInRequest

    with agency_scope(agency_a):
        row = delivery_schedule(
            agency_id=agency_a.pk,
            kind=DeliveryKind.CHECKIN_INVITE,
            subject_id=0,
            due_at=timezone.now(),
            channel="sms",
            participant=participant,
        )
        schedule = CheckInSchedule.objects.create(agency=agency_a, participant=participant)
        Delivery.objects.filter(pk=row.pk).update(subject_id=schedule.pk)
    assert send_now(row) == Outcome.SENT
    [(_address, text)] = MemorySMS.outbox
    assert "/c/" in text and "works until" in text
    with agency_scope(agency_a):
        checkin = CheckInRequest.objects.get()
        reminder = Delivery.objects.get(kind=DeliveryKind.CHECKIN_REMINDER)
    assert checkin.scheduled  # so it counts as missed if left unanswered
    assert reminder.due_at == checkin.expires_at - timedelta(days=1)


# Discreet text --------------------------------------------------------------------------

FORBIDDEN = [
    "recovery",
    "substance",
    "treatment",
    "addiction",
    "drug",
    "alcohol",
    "sober",
    "relapse",
    "recuperación",
    "sustancia",
    "tratamiento",
]


def test_participant_messages_and_subjects_are_discreet(agency_a, peer_a, participant):
    commitment = make_commitment(
        participant, staff=peer_a, hours_ahead=1, what="Drive to the treatment centre"
    )
    from django.utils import translation

    from alliance.messaging.services import _RENDERERS

    with agency_scope(agency_a):
        rows = list(Delivery.objects.filter(participant=participant))
        for language in ("en", "es"):
            with translation.override(language):
                for row in rows:
                    message = _RENDERERS[row.kind](row)
                    lowered = (message.subject + " " + message.text).lower()
                    assert not any(word in lowered for word in FORBIDDEN), (row.kind, message)
    assert commitment.what not in str(MemorySMS.outbox)


# Email and SMS providers ----------------------------------------------------------------


def test_email_reminders_to_staff_have_a_discreet_subject(agency_a, peer_a, participant):
    make_commitment(participant, staff=peer_a, hours_ahead=25)
    with agency_scope(agency_a):
        row = Delivery.objects.get(channel="email", offset_key="-24h")
    assert send_now(row) == Outcome.SENT
    [message] = mail.outbox
    assert message.subject == "Rapport reminder" and "Dee" not in message.subject
    # The body names no one either (decision 87): it links to the page, behind a sign-in.
    assert "Dee" not in message.body and "Reminder: a commitment you made is due by" in message.body
    assert "Sign in to Rapport to see it:\nhttp://testserver/a/agency-a/" in message.body


TWILIO = "https://api.twilio.com/2010-04-01/Accounts/ACtest/Messages.json"


@override_settings(
    RAPPORT_SMS_BACKEND="alliance.messaging.transports.TwilioSMS",
    TWILIO_ACCOUNT_SID="ACtest",
    TWILIO_AUTH_TOKEN="secret",
    TWILIO_FROM_NUMBER="+15005550006",
)
@responses.activate
def test_twilio_receives_the_message_and_its_sid_is_kept(agency_a, participant):
    responses.post(TWILIO, status=201, json={"sid": "SM123", "status": "queued"})
    row = reminder_for_participant(participant, timezone.now())
    assert send_now(row) == Outcome.SENT
    request = responses.calls[0].request
    assert "To=%2B12025550143" in request.body and "From=%2B15005550006" in request.body
    assert request.headers["Idempotency-Key"] == row.idempotency_key
    assert status_of(row).provider_id == "SM123"


@override_settings(
    RAPPORT_SMS_BACKEND="alliance.messaging.transports.TwilioSMS",
    TWILIO_ACCOUNT_SID="ACtest",
    TWILIO_AUTH_TOKEN="secret",
    TWILIO_FROM_NUMBER="+15005550006",
)
@responses.activate
def test_transient_provider_errors_are_retried_five_times_then_failed(agency_a, participant):
    responses.post(TWILIO, status=503)
    row = reminder_for_participant(participant, timezone.now())
    outcomes = [send_now(row) for _ in range(5)]
    assert outcomes == [Outcome.RETRY] * 4 + [Outcome.FAILED]
    failed = status_of(row)
    assert (
        failed.status == DeliveryStatus.FAILED
        and failed.last_error == "HTTP 503"
        and failed.attempts == 5
    )


@override_settings(
    RAPPORT_SMS_BACKEND="alliance.messaging.transports.TwilioSMS",
    TWILIO_ACCOUNT_SID="ACtest",
    TWILIO_AUTH_TOKEN="secret",
    TWILIO_FROM_NUMBER="+15005550006",
)
@responses.activate
def test_a_refused_number_fails_at_once_without_leaking_it(agency_a, participant, peer_a):
    responses.post(TWILIO, status=400, json={"code": 21211, "message": "Invalid 'To' Phone Number"})
    row = reminder_for_participant(participant, timezone.now())
    assert send_now(row) == Outcome.FAILED
    failed = status_of(row)
    assert failed.last_error == "HTTP 400 code 21211" and "+1202" not in failed.last_error
    from tests.conftest import client_for

    outbox = client_for(peer_a.user).get("/a/agency-a/outbox/?status=failed")
    assert "Failed" in outbox.text and "HTTP 400 code 21211" in outbox.text


def test_retry_delays_grow_and_are_jittered():
    delays = [[delivery.retry_delay(attempt) for _ in range(200)] for attempt in (1, 2, 3, 4)]
    maxima = [max(d) for d in delays]
    assert maxima == sorted(maxima) and maxima[-1] <= 240 and len(set(delays[0])) > 100


def test_staff_send_the_portal_link_through_delivery_and_it_says_when_it_expires(
    agency_a, peer_a, participant
):
    from participants.models import PortalLink
    from tests.conftest import client_for

    browser = client_for(peer_a.user)
    page = f"/a/agency-a/participants/{participant.pk}/"
    browser.post(page + "portal-link/send/")
    after = browser.post(page + "portal-link/send/", follow=True)  # a double click sends once
    with agency_scope(agency_a):
        [row] = Delivery.objects.filter(kind=DeliveryKind.PORTAL_LINK)
        assert not PortalLink.objects.exists()  # the link is made when the message goes out
    # FOUND-IN-USE: the card said "No active link." right under "The link is on its way."
    assert "A new link is on its way to them." in after.text
    assert "No active link." not in after.text
    assert send_now(row) == Outcome.SENT
    assert "A link is active until" in browser.get(page).text
    [(address, text)] = MemorySMS.outbox
    assert address == "+12025550143" and "/p/" in text and "works until" in text
    path = text.split("http://testserver", 1)[1].split(" ", 1)[0]
    from django.test import Client

    assert Client().get(path).status_code == 200


def test_without_consent_the_portal_link_is_not_sent(agency_a, peer_a):
    from tests.conftest import client_for

    person = make_participant(agency_a, peer=peer_a, phone="+12025550199")
    response = client_for(peer_a.user).post(
        f"/a/agency-a/participants/{person.pk}/portal-link/send/", follow=True
    )
    assert "has not agreed to texts or emails" in response.text
    with agency_scope(agency_a):
        assert not Delivery.objects.filter(kind=DeliveryKind.PORTAL_LINK).exists()


# Batches ----------------------------------------------------------------------------------------

FLAKY_PHONE = "+12025550177"


class FlakySMS(MemorySMS):
    """The provider answers 503 for one number and accepts the others."""

    def send(self, *, delivery, address, message):
        if address == FLAKY_PHONE:
            from alliance.messaging.transports import TransientError

            raise TransientError("HTTP 503")
        return super().send(delivery=delivery, address=address, message=message)


@pytest.fixture
def enqueued(monkeypatch):
    """What the send task puts back on the broker: (args, countdown)."""
    from alliance import tasks

    calls = []
    monkeypatch.setattr(
        tasks.deliveries_send,
        "apply_async",
        lambda args, countdown=None, **options: calls.append((args, countdown)),
    )
    return calls


def in_quiet_hours_now(participant):
    """Quiet hours from an hour ago to an hour from now, in the participant's time zone."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(participant.time_zone))
    profile_of(
        participant,
        quiet_hours_start=(local - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_hours_end=(local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )


def sweep_and_send_one_batch():
    """The beat's path: sweep, one batch, the batch task run here."""
    from alliance.messaging.tasks import deliveries_send

    [(agency_id, ids)] = delivery.send_batches(sweep())
    deliveries_send(agency_id, ids)
    return ids


@override_settings(RAPPORT_SMS_BACKEND="tests.messaging.test_delivery.FlakySMS")
def test_a_batch_with_mixed_outcomes_leaves_each_row_in_the_right_state(
    agency_a, peer_a, participant, enqueued
):
    from tests.factories import make_alert

    now = timezone.now() - timedelta(minutes=1)
    will_send = reminder_for_participant(participant, now)
    no_consent = reminder_for_participant(make_participant(agency_a, phone="+12025550144"), now)
    sleeping = make_participant(agency_a, phone="+12025550145")
    flaky = make_participant(agency_a, phone=FLAKY_PHONE)
    with agency_scope(agency_a):
        for person in (sleeping, flaky):
            channel_consent_set(participant=person, channel="sms", granted=True, recorded_by=None)
    in_quiet_hours_now(sleeping)
    quiet = reminder_for_participant(sleeping, now)
    failing = reminder_for_participant(flaky, now)
    with agency_scope(agency_a):
        in_app, email = delivery.staff_message_schedule(
            kind=DeliveryKind.ALERT,
            subject_id=make_alert(participant).pk,
            membership=peer_a,
            due_at=now,
        )

    ids = sweep_and_send_one_batch()

    assert len(ids) == 6
    assert status_of(will_send).status == DeliveryStatus.SENT
    assert MemorySMS.outbox == [("+12025550143", MemorySMS.outbox[0][1])]
    skipped = status_of(no_consent)
    assert skipped.status == DeliveryStatus.SKIPPED and skipped.skip_reason == "no_consent"
    deferred = status_of(quiet)
    assert deferred.status == DeliveryStatus.PENDING and deferred.due_at > timezone.now()
    assert deferred.attempts == 0  # held back is not an attempt
    retried = status_of(failing)
    assert (retried.status, retried.attempts, retried.last_error) == (
        DeliveryStatus.QUEUED,
        1,
        "HTTP 503",
    )
    [(args, countdown)] = enqueued  # the failed one alone, later
    assert args == [agency_a.pk, [failing.pk]] and 1 <= countdown <= 30
    assert status_of(in_app).status == status_of(email).status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    with agency_scope(agency_a):
        assert Notification.objects.filter(delivery=in_app).count() == 1


def test_the_weekly_maximum_holds_within_one_batch(agency_a, participant):
    profile_of(participant, max_contacts_per_week=1)
    now = timezone.now() - timedelta(minutes=1)
    first = reminder_for_participant(participant, now)
    second = reminder_for_participant(participant, now)
    sweep_and_send_one_batch()
    assert len(MemorySMS.outbox) == 1
    sent, held = sorted([status_of(first), status_of(second)], key=lambda r: r.status != "sent")
    assert sent.status == DeliveryStatus.SENT
    # A week later the promise is past due: held back past its use, so skipped.
    assert (held.status, held.skip_reason) == (DeliveryStatus.SKIPPED, "pointless_after_quiet_time")


@pytest.mark.parametrize("each", [1, 15])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    agency_a, peer_a, participant, each, django_assert_max_num_queries
):
    """In-app notices about one alert, messages skipped (no consent) and messages held back
    (quiet hours): a fixed number of queries for 3 or 45 deliveries."""
    from alliance.messaging.tasks import deliveries_send
    from tests.factories import make_alert

    now = timezone.now() - timedelta(minutes=1)
    silent = make_participant(agency_a, phone="+12025550144")
    sleeping = make_participant(agency_a, phone="+12025550145")
    with agency_scope(agency_a):
        channel_consent_set(participant=sleeping, channel="sms", granted=True, recorded_by=None)
    in_quiet_hours_now(sleeping)
    alert = make_alert(participant)
    with agency_scope(agency_a):
        for n in range(each):
            delivery.staff_message_schedule(
                kind=DeliveryKind.ALERT,
                subject_id=alert.pk,
                membership=peer_a,
                due_at=now,
                offset_key=str(n),
            )
            for person in (silent, sleeping):
                delivery_schedule(
                    agency_id=agency_a.pk,
                    kind=DeliveryKind.CHECKIN_INVITE,
                    subject_id=n,
                    due_at=now,
                    channel="sms",
                    participant=person,
                )
        Delivery.objects.filter(channel="email").delete()  # email goes one by one
    [(agency_id, ids)] = delivery.send_batches(sweep())
    assert len(ids) == 3 * each
    # Claim, load, profiles, consents, the alert, the notices and their 'sent' marks (in a
    # savepoint here, a transaction in a worker), the skipped, the held back.
    with django_assert_max_num_queries(11):
        deliveries_send(agency_id, ids)
    with agency_scope(agency_a):
        assert Notification.objects.count() == each
        assert Delivery.objects.filter(status=DeliveryStatus.SKIPPED).count() == each
        assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == each


def test_the_one_delivery_task_of_earlier_releases_still_sends(agency_a, participant):
    from alliance.messaging.tasks import delivery_send

    row = reminder_for_participant(participant, timezone.now() - timedelta(minutes=1))
    [(agency_id, delivery_id)] = sweep()
    assert delivery_send(agency_id, delivery_id) == {"sent": 1}
    assert status_of(row).status == DeliveryStatus.SENT and len(MemorySMS.outbox) == 1


def test_the_sweep_makes_one_agencys_batches_of_at_most_fifty():
    due = [(1, n) for n in range(120)] + [(2, 500), (1, 999)]
    batches = delivery.send_batches(due)
    assert [(agency, len(ids)) for agency, ids in batches] == [(1, 50), (1, 50), (1, 21), (2, 1)]
    assert sorted(pk for _agency, ids in batches for pk in ids) == sorted(pk for _a, pk in due)


# Who is not written to ---------------------------------------------------------------------------


def test_nobody_is_written_to_who_left_or_has_no_address(agency_a, peer_a, participant):
    """Each row is skipped with its reason, which the outbox shows."""
    from agencies.models import Membership
    from participants.models import Participant

    discharged = reminder_for_participant(participant, timezone.now())
    with agency_scope(agency_a):
        Participant.objects.filter(pk=participant.pk).update(status="discharged")
    no_phone = make_participant(agency_a, phone="")
    with agency_scope(agency_a):
        channel_consent_set(participant=no_phone, channel="sms", granted=True, recorded_by=None)
    without_address = reminder_for_participant(no_phone, timezone.now())
    with agency_scope(agency_a):
        to_former_staff = delivery.staff_message_schedule(
            kind=DeliveryKind.ALERT, subject_id=1, membership=peer_a, due_at=timezone.now()
        )[0]
        Membership.objects.filter(pk=peer_a.pk).update(is_active=False)

    for row, reason in [
        (discharged, "discharged"),
        (without_address, "no_address"),
        (to_former_staff, "staff_inactive"),
    ]:
        assert send_now(row) == Outcome.SKIPPED, reason
        assert status_of(row).skip_reason == reason
    assert MemorySMS.outbox == []


BUGGY_PHONE = "+12025550188"


class BuggySMS(MemorySMS):
    """A transport with a bug for one number; its error message quotes the address."""

    def send(self, *, delivery, address, message):
        if address == BUGGY_PHONE:
            raise ValueError(f"cannot format {address} for {message.text}")
        return super().send(delivery=delivery, address=address, message=message)


@override_settings(RAPPORT_SMS_BACKEND="tests.messaging.test_delivery.BuggySMS")
def test_a_transports_bug_leaves_its_row_for_the_stale_path_and_logs_no_address(
    agency_a, participant, enqueued, caplog
):
    now = timezone.now() - timedelta(minutes=1)
    fine = reminder_for_participant(participant, now)
    buggy_person = make_participant(agency_a, phone=BUGGY_PHONE, preferred_name="Quinn")
    with agency_scope(agency_a):
        channel_consent_set(participant=buggy_person, channel="sms", granted=True, recorded_by=None)
    buggy = reminder_for_participant(buggy_person, now)

    sweep_and_send_one_batch()

    assert status_of(fine).status == DeliveryStatus.SENT  # the rest of the batch went out
    assert status_of(buggy).status == DeliveryStatus.SENDING  # unknown: the stale sweep decides
    assert "ValueError" in caplog.text
    assert BUGGY_PHONE not in caplog.text and "Quinn" not in caplog.text
