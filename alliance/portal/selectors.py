"""Reads of the portal app: "who has seen my record" for the participant, and the portal-link
card on the participant's staff page.

The access list is derived from the audit trail (agencies.models.AuditEvent), never stored
apart: every staff view of a participant's pages records `participant.viewed.<page>`
(agencies/access.py, `viewed=` on the route), and the services record each change to the
record itself (`participant.updated`, `profile.updated`, ...). Only events whose object is
this participant's own record are read (object_type "participant", object_id their id), so
another participant's reads can never appear; docs/decisions.md says what that leaves out.

Who acted is put in plain words for the participant: a staff member by name with their role
("your peer specialist" for their current peer), a member who has left as "a former staff
member", someone outside the agency (Rapport's platform team) as platform maintenance, and
an API key or a background task as an automated job. The sentences themselves are made in the
view, in the participant's language.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from agencies.models import AuditEvent, Membership, Role
from alliance.checkins.models import CheckInResponse
from alliance.commitments.models import Commitment, CommitmentStatus
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from participants.models import Participant, PortalLink, ProposedBy
from participants.panels import participant_panel
from participants.selectors import portal_link_active
from participants.services import PARTICIPANT_LINK_ACTOR

ACCESS_DAYS = 90
ACCESS_LIMIT = 50


class Who:
    """The kinds of actor the portal tells apart."""

    YOU = "you"
    YOUR_PEER = "your_peer"
    STAFF = "staff"
    FORMER_STAFF = "former_staff"
    PLATFORM = "platform"
    AUTOMATED = "automated"


@dataclass(frozen=True)
class AccessEntry:
    when: datetime
    who: str  # one of Who
    name: str  # the staff member's name (Who.YOUR_PEER, Who.STAFF), else ""
    role: str  # their Role (Who.STAFF), else ""
    action: str  # the audit action, e.g. "participant.viewed.goals"


def _name(user) -> str:
    return user.get_full_name() or user.email


def record_access(participant: Participant, *, now: datetime | None = None) -> list[AccessEntry]:
    """Who viewed or changed `participant`'s record in the last ACCESS_DAYS days, newest
    first, at most ACCESS_LIMIT entries. Runs in the participant's agency scope."""
    since = (now or timezone.now()) - timedelta(days=ACCESS_DAYS)
    member = Membership.objects.filter(user_id=OuterRef("actor_id"))  # in this agency only
    events = (
        AuditEvent.objects.filter(
            object_type=Participant._meta.model_name,
            object_id=str(participant.pk),
            occurred_at__gte=since,
        )
        .select_related("actor")
        .annotate(
            member_id=Subquery(member.values("pk")[:1]),
            member_role=Subquery(member.values("role")[:1]),
            member_active=Subquery(member.values("is_active")[:1]),
        )
        .order_by("-occurred_at", "-id")[:ACCESS_LIMIT]
    )
    return [_entry(event, participant) for event in events]


def _entry(event: AuditEvent, participant: Participant) -> AccessEntry:
    base = {"when": event.occurred_at, "action": event.action, "name": "", "role": ""}
    if event.actor is None:
        if event.actor_label == PARTICIPANT_LINK_ACTOR:
            return AccessEntry(who=Who.YOU, **base)
        return AccessEntry(who=Who.AUTOMATED, **base)  # an API key, a task, "system"
    if event.member_id is None:
        return AccessEntry(who=Who.PLATFORM, **base)  # not of this agency: platform staff
    if not event.member_active:
        return AccessEntry(who=Who.FORMER_STAFF, **base)
    base.update(name=_name(event.actor), role=event.member_role)
    if event.member_id == participant.assigned_peer_id and event.member_role == Role.PEER:
        return AccessEntry(who=Who.YOUR_PEER, **base)
    return AccessEntry(who=Who.STAFF, **base)


# The portal-link card on the participant's staff page -----------------------------------------

WAITING = (DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class PortalLinkFigures:
    link: PortalLink | None  # the active link, if any
    on_its_way: bool  # a link was asked to be sent and the message has not gone yet


@participant_panel("portal/portal_link_panel.html")
def portal_link_panel(participant) -> PortalLinkFigures:
    """The portal link card: the active link, or that a sent one is on its way (the link is
    made when the message goes out, so until then there is none to show)."""
    waiting = Delivery.objects.filter(
        kind=DeliveryKind.PORTAL_LINK, participant=participant, status__in=WAITING
    ).exists()
    return PortalLinkFigures(link=portal_link_active(participant), on_its_way=waiting)


# The relationship, as the participant sees it ---------------------------------------------------

COMMITMENT_LIMIT = 100
CHECKIN_LIMIT = 52


class Outcome:
    """What became of a promise staff made to the participant, in the portal's words."""

    UPCOMING = "upcoming"
    NOT_MARKED = "not_marked"  # due time passed, not yet marked kept or missed
    KEPT_ON_TIME = "kept_on_time"
    KEPT_LATE = "kept_late"
    RENEGOTIATED = "renegotiated"  # moved to a new time, then kept
    MISSED = "missed"
    CANCELLED = "cancelled"

    ORDER = (UPCOMING, NOT_MARKED, KEPT_ON_TIME, KEPT_LATE, RENEGOTIATED, MISSED, CANCELLED)


@dataclass(frozen=True)
class PromiseLine:
    what: str
    due_at: datetime
    outcome: str  # one of Outcome
    closed_at: datetime | None
    participant_says_kept: bool | None


def outcome_of(commitment: Commitment, now: datetime) -> str:
    """Kept on time, kept late, renegotiated (moved to a new time, then kept), missed,
    cancelled; or, while open, upcoming or not marked yet. The same four closed outcomes the
    consistency figures count, each promise in exactly one."""
    if commitment.status == CommitmentStatus.OPEN:
        return Outcome.UPCOMING if commitment.due_at >= now else Outcome.NOT_MARKED
    if commitment.status == CommitmentStatus.MISSED:
        return Outcome.MISSED
    if commitment.status == CommitmentStatus.CANCELLED:
        return Outcome.CANCELLED
    if commitment.renegotiated:
        return Outcome.RENEGOTIATED
    return Outcome.KEPT_ON_TIME if commitment.kept_on_time is not False else Outcome.KEPT_LATE


def promises_to(
    participant: Participant, *, now: datetime | None = None, limit: int | None = COMMITMENT_LIMIT
) -> list[PromiseLine]:
    """The promises staff made to the participant: the upcoming ones first (soonest due
    first), then the rest, most recently due first; at most `limit`. One query."""
    now = now or timezone.now()
    commitments = Commitment.objects.filter(
        participant=participant, promised_by=ProposedBy.STAFF
    ).order_by("-due_at", "-id")[:limit]
    lines = [
        PromiseLine(
            what=c.what,
            due_at=c.due_at,
            outcome=outcome_of(c, now),
            closed_at=c.closed_at,
            participant_says_kept=c.participant_says_kept,
        )
        for c in commitments
    ]
    upcoming = sorted(
        (line for line in lines if line.outcome == Outcome.UPCOMING), key=lambda x: x.due_at
    )
    return upcoming + [line for line in lines if line.outcome != Outcome.UPCOMING]


def outcome_counts(lines: list[PromiseLine]) -> list[tuple[str, int]]:
    """(outcome, how many) for each outcome that occurs, in Outcome.ORDER."""
    counts = {outcome: 0 for outcome in Outcome.ORDER}
    for line in lines:
        counts[line.outcome] += 1
    return [(outcome, n) for outcome, n in counts.items() if n]


def checkin_history(
    participant: Participant, *, limit: int | None = CHECKIN_LIMIT
) -> list[tuple[datetime, float | None]]:
    """The participant's own check-ins, oldest first (the latest `limit`): when, and the
    total as a percent of the highest possible. One query."""
    rows = list(
        CheckInResponse.objects.filter(participant=participant)
        .order_by("-submitted_at", "-id")
        .values_list("submitted_at", "percent")[:limit]
    )
    return rows[::-1]
