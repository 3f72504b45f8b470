"""Consistency figures (practice 8): of the staff commitments closed in a period, the share
kept on time, renegotiated and missed. One aggregate query per call, whatever the numbers."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from alliance.commitments.models import Commitment, CommitmentStatus
from participants.models import ProposedBy
from participants.panels import participant_panel

PERIOD_DAYS = 90


def _closed_staff_commitments(since=None) -> QuerySet[Commitment]:
    since = since or timezone.now() - timedelta(days=PERIOD_DAYS)
    return Commitment.objects.filter(
        promised_by=ProposedBy.STAFF,
        status__in=[CommitmentStatus.KEPT, CommitmentStatus.MISSED],
        closed_at__gte=since,
    )


# Counts are named n_* so they do not clash with the model's own fields.
_FIGURES = {
    "n_closed": Count("id"),
    "n_kept_on_time": Count("id", filter=Q(status=CommitmentStatus.KEPT, kept_on_time=True)),
    "n_kept_late": Count("id", filter=Q(status=CommitmentStatus.KEPT, kept_on_time=False)),
    "n_missed": Count("id", filter=Q(status=CommitmentStatus.MISSED)),
    "n_renegotiated": Count("id", filter=Q(renegotiated=True)),
}


def _with_shares(figures: dict) -> dict:
    closed = figures["n_closed"] or 0
    for name in ("kept_on_time", "missed", "renegotiated"):
        figures[f"{name}_share"] = round(100 * figures[f"n_{name}"] / closed) if closed else None
    return figures


def consistency_for(*, participant=None, staff=None) -> dict:
    """Figures for one participant's commitments, one staff member's, or the whole agency."""
    rows = _closed_staff_commitments()
    if participant is not None:
        rows = rows.filter(participant=participant)
    if staff is not None:
        rows = rows.filter(staff=staff)
    return _with_shares(rows.aggregate(**_FIGURES))


def consistency_by_peer() -> dict[int, dict]:
    """Figures per staff member (membership id), in one query."""
    rows = _closed_staff_commitments().values("staff_id").annotate(**_FIGURES)
    return {row.pop("staff_id"): _with_shares(row) for row in rows}


@participant_panel("commitments/consistency_figures.html")
def consistency_panel(participant) -> dict:
    """Consistency with this participant (practice 8), beside the alliance scores."""
    return consistency_for(participant=participant)
