"""The benchmarks' floors do the page's work (issue 17, goal 2): the caseload's same-stack page
floor runs one raw statement (bench/sql.py CASELOAD) that must compute every column the
caseload page shows. Checked here on every commit, not only when `make bench` runs, on an
agency whose rows differ in each column (so a column the statement got wrong shows)."""

from datetime import timedelta

from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.checkins.models import Alert, AlertStatus
from alliance.commitments.models import CheckInSchedule, Commitment
from bench.runner import CASELOAD_COLUMNS, caseload_page_and_floor
from bench.scale_data import seed_scale
from participants.models import ChannelConsent, Contact, Participant
from tests.conftest import as_maintenance_role
from tests.factories import make_commitment


def _vary_every_column(agency_id: int) -> None:
    """The seed gives scores, alerts and contacts; add what it does not (commitments, a
    rhythm, a supervisor request) and take some of what it gives away, on the first page."""
    now = timezone.now()
    with agency_scope(agency_id):
        first_page = list(Participant.objects.order_by("preferred_name", "id")[:25])
        for participant in first_page[:3]:
            make_commitment(participant, hours_ahead=30)
        past = now - timedelta(days=1)
        overdue, kept = make_commitment(first_page[3]), make_commitment(first_page[4])
        Commitment.objects.filter(pk=overdue.pk).update(due_at=past)
        Commitment.objects.filter(pk=kept.pk).update(due_at=past, status="kept")  # not overdue
        CheckInSchedule.objects.create(
            agency_id=agency_id, participant=first_page[4], every_weeks=3, is_active=True
        )
        CheckInSchedule.objects.create(  # stopped: the default rhythm again
            agency_id=agency_id, participant=first_page[6], every_weeks=5, is_active=False
        )
        alerts = {alert.participant_id: alert.pk for alert in Alert.objects.all()}
        with_alert = [p.pk for p in first_page if p.pk in alerts]
        wants, just_open, resolved = (alerts[pk] for pk in with_alert[:3])
        Alert.objects.filter(pk=wants).update(status=AlertStatus.OPEN, supervisor_requested_at=now)
        Alert.objects.filter(pk=just_open).update(status=AlertStatus.ACKNOWLEDGED)
        Alert.objects.filter(pk=resolved).update(
            status=AlertStatus.RESOLVED, supervisor_requested_at=now
        )
        ChannelConsent.objects.filter(participant__in=first_page[5:8]).update(revoked_at=now)
        Contact.objects.filter(participant__in=first_page[8:10]).delete()
        Participant.objects.filter(pk=first_page[10].pk).update(status="paused")


def test_the_caseload_floor_computes_every_column_the_page_shows(transactional_db):
    with as_maintenance_role():  # a bulk load (COPY), as the benchmark does it
        seeded = seed_scale(agencies=1, participants_per_agency=40, weeks=4, prefix="floor")
    agency_id = seeded.agencies[0]
    _vary_every_column(agency_id)

    shown, floor = caseload_page_and_floor(agency_id)

    rows, count, peers = shown
    assert count == 40 and len(rows) == 25 and peers
    names = ["id", "last_contact_at", *CASELOAD_COLUMNS]
    columns = dict(zip(names, zip(*rows, strict=True), strict=True))
    for name, values in columns.items():
        assert len(set(values)) > 1, f"every row has the same {name}: the check would not see it"
    assert shown == floor
