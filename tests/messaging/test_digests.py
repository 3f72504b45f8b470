"""The daily email digest for staff who chose it: one email at 08:00 in the agency's time zone
listing what is waiting, with the items marked sent; a mail server that refuses keeps that
person's items for the next digest without holding back anyone else's."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from agencies.models import Role
from agencies.tenancy import agency_scope
from alliance.messaging import services as delivery
from alliance.messaging.digests import digests_send_due
from alliance.messaging.models import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    ReminderPreference,
    StaffPreference,
)
from tests.factories import make_alert, make_member, make_participant, make_user

pytestmark = pytest.mark.django_db


def at_local(agency, hour: int) -> datetime:
    """Today at `hour` o'clock in the agency's time zone."""
    zone = ZoneInfo(agency.time_zone)
    return timezone.now().astimezone(zone).replace(hour=hour, minute=5, second=0, microsecond=0)


def digest_rows_for(member, agency):
    """An alert for a participant of `member`, scheduled the way a staff member who chose
    the digest gets it: in the app now, by email in the next digest."""
    with agency_scope(agency):
        StaffPreference.objects.create(
            agency=agency, membership=member, reminders=ReminderPreference.DIGEST
        )
    alert = make_alert(make_participant(agency, peer=member))
    with agency_scope(agency):
        rows = delivery.staff_message_schedule(
            kind=DeliveryKind.ALERT,
            subject_id=alert.pk,
            membership=member,
            due_at=at_local(agency, 7) - timedelta(hours=1),
        )
    (email_row,) = [row for row in rows if row.channel == DeliveryChannel.EMAIL]
    return email_row


def status(row):
    with agency_scope(row.agency_id):
        return Delivery.objects.get(pk=row.pk).status


def test_the_digest_goes_at_eight_local_time_with_the_waiting_items(agency_a):
    peer = make_member(agency_a, Role.PEER)
    row = digest_rows_for(peer, agency_a)

    assert digests_send_due(at_local(agency_a, 7)) == 0  # not the digest hour yet
    assert mail.outbox == [] and status(row) == DeliveryStatus.PENDING

    assert digests_send_due(at_local(agency_a, 8)) == 1
    (message,) = mail.outbox
    assert message.to == [peer.user.email]
    assert message.subject == "Your Rapport digest"  # names nobody
    assert message.body.startswith("- ")
    assert status(row) == DeliveryStatus.SENT

    assert digests_send_due(at_local(agency_a, 8)) == 0  # sent once
    assert len(mail.outbox) == 1


def test_a_refused_digest_waits_for_the_next_one_and_others_still_go(agency_a, settings, caplog):
    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.RefusingEmailBackend"}}
    refused = make_member(agency_a, Role.PEER, user=make_user("dana@refused.example"))
    accepted = make_member(agency_a, Role.PEER)
    refused_row = digest_rows_for(refused, agency_a)
    accepted_row = digest_rows_for(accepted, agency_a)

    digests_send_due(at_local(agency_a, 8))

    assert [message.to for message in mail.outbox] == [[accepted.user.email]]
    assert status(refused_row) == DeliveryStatus.PENDING  # for tomorrow's digest
    assert status(accepted_row) == DeliveryStatus.SENT
    assert "not sent (SMTPRecipientsRefused)" in caplog.text
    assert "dana@refused.example" not in caplog.text
