"""Reads that gather figures of several feature apps, for the pages of the app above them.

The caseload (a peer's working list) shows, per participant, what check-ins, commitments,
schedules and consents say about them. Each column is a correlated subquery: the rows are one
query whatever the caseload's size, and PostgreSQL computes the columns only for the page's
rows (the paginator's count leaves them out unless a filter or the sort needs one)."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Now

from agencies.models import Membership
from alliance.checkins.models import Alert, AlertStatus, CheckInResponse
from alliance.commitments.models import CheckInSchedule, Commitment, CommitmentStatus
from participants.models import (
    Channel,
    ChannelConsent,
    Contact,
    Participant,
    ParticipantStatus,
)
from participants.selectors import CASELOAD_COLUMNS, participants_visible_to

# Without a check-in schedule, a participant is expected to be in touch every two weeks
# (docs/decisions.md 100).
DEFAULT_CADENCE_WEEKS = 2

# A score moves "up" or "down" when it changes by at least this many points of percent;
# smaller changes read as "about the same" (docs/decisions.md 102).
SCORE_CHANGE_POINTS = 5

# Sort key (labels in participants/forms.py) -> the rows' order.
CASELOAD_SORTS = {
    "name": (F("preferred_name").asc(), F("id").asc()),
    "-name": (F("preferred_name").desc(), F("id").desc()),
    "last_contact": (F("last_contact_at").asc(nulls_first=True), F("id").asc()),
    "-last_contact": (F("last_contact_at").desc(nulls_last=True), F("id").desc()),
    "score": (F("last_percent").asc(nulls_last=True), F("preferred_name").asc(), F("id").asc()),
    "next_commitment": (
        F("commitment_overdue").desc(),
        F("next_commitment_at").asc(nulls_last=True),
        F("id").asc(),
    ),
    "alert": (
        F("wants_supervisor").desc(),
        F("open_alert").desc(),
        F("last_contact_at").asc(nulls_first=True),
        F("id").asc(),
    ),
    "-enrolled": (F("enrolled_on").desc(), F("id").desc()),
    "enrolled": (F("enrolled_on").asc(), F("id").asc()),
}

# The "show only" filter: key -> condition on the annotated rows.
CASELOAD_FLAGS = {
    "alert": Q(open_alert=True),
    "supervisor": Q(wants_supervisor=True),
    "overdue": Q(commitment_overdue=True),
    "contact_due": Q(contact_overdue=True),
    "dropped": Q(last_percent__lte=F("previous_percent") - SCORE_CHANGE_POINTS),
    "sms": Q(okay_to_text=True),
}


def _percent(offset: int):
    responses = CheckInResponse.objects.filter(participant=OuterRef("pk")).order_by(
        "-submitted_at", "-id"
    )
    return Subquery(responses.values("percent")[offset : offset + 1])


def caseload(
    membership: Membership,
    *,
    search: str = "",
    status: str = "",
    peer_id: int | None = None,
    flag: str = "",
    sort: str = "name",
) -> QuerySet[Participant]:
    """The caseload page's rows, each with its working-list columns:

    last_percent, previous_percent   the latest two check-in scores (percent, or None)
    open_alert, wants_supervisor      an unresolved alert; one where they asked for a supervisor
    next_commitment_at / _what        the next open commitment not yet due
    commitment_overdue                an open commitment past its time
    last_contact_at                   the latest logged contact
    cadence_weeks                     their check-in schedule's interval (or the default)
    contact_overdue                   no contact within that interval (since enrolment if none)
    okay_to_text                      texting consent granted and not revoked
    """
    now = Now()
    unresolved = Alert.objects.filter(participant=OuterRef("pk")).exclude(
        status=AlertStatus.RESOLVED
    )
    open_commitments = Commitment.objects.filter(
        participant=OuterRef("pk"), status=CommitmentStatus.OPEN
    )
    upcoming = open_commitments.filter(due_at__gte=now).order_by("due_at", "id")
    last_contact = Contact.objects.filter(participant=OuterRef("pk")).order_by("-occurred_at")
    cadence = CheckInSchedule.objects.filter(participant=OuterRef("pk"), is_active=True)
    rows = (
        participants_visible_to(membership)
        .only(*CASELOAD_COLUMNS, "enrolled_on")
        .annotate(
            last_percent=_percent(0),
            previous_percent=_percent(1),
            open_alert=Exists(unresolved),
            wants_supervisor=Exists(unresolved.filter(supervisor_requested_at__isnull=False)),
            next_commitment_at=Subquery(upcoming.values("due_at")[:1]),
            next_commitment_what=Subquery(upcoming.values("what")[:1]),
            commitment_overdue=Exists(open_commitments.filter(due_at__lt=now)),
            last_contact_at=Subquery(last_contact.values("occurred_at")[:1]),
            cadence_weeks=Coalesce(
                Subquery(cadence.values("every_weeks")[:1]), Value(DEFAULT_CADENCE_WEEKS)
            ),
            okay_to_text=Exists(
                ChannelConsent.objects.filter(
                    participant=OuterRef("pk"),
                    channel=Channel.SMS,
                    granted_at__isnull=False,
                    revoked_at__isnull=True,
                )
            ),
        )
    )
    # Contact is due at the last contact (or enrolment) plus the cadence; overdue once that
    # moment has passed, for active participants only.
    since = Coalesce(F("last_contact_at"), Cast("enrolled_on", DateTimeField()))
    interval = ExpressionWrapper(
        Value(timedelta(weeks=1)) * F("cadence_weeks"), output_field=DurationField()
    )
    rows = rows.annotate(
        contact_due_at=ExpressionWrapper(since + interval, output_field=DateTimeField())
    ).annotate(
        contact_overdue=ExpressionWrapper(
            Q(status=ParticipantStatus.ACTIVE, contact_due_at__lt=now),
            output_field=BooleanField(),
        )
    )
    if search:
        rows = rows.filter(preferred_name__icontains=search)
    if status:
        rows = rows.filter(status=status)
    if peer_id:
        rows = rows.filter(assigned_peer_id=peer_id)
    if flag in CASELOAD_FLAGS:
        rows = rows.filter(CASELOAD_FLAGS[flag])
    return rows.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["name"]))
