"""Consistency figures (practice 8): of the staff commitments closed in a period, the share
kept on time, kept late, renegotiated and missed. Each closed commitment is in exactly one of
the four, and the shown percentages add up to 100 (largest remainder). One aggregate query per
call, whatever the numbers."""

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


# The four outcomes, each closed commitment in exactly one: missed (whether or not it was
# renegotiated first); kept late (after its due time, renegotiated or not); renegotiated (moved
# with the participant beforehand, then kept by the new time); kept on time (as first promised).
OUTCOMES = ("kept_on_time", "kept_late", "renegotiated", "missed")
_KEPT = Q(status=CommitmentStatus.KEPT)
_KEPT_IN_TIME = _KEPT & ~Q(kept_on_time=False)

# Counts are named n_* so they do not clash with the model's own fields.
_FIGURES = {
    "n_closed": Count("id"),
    "n_kept_on_time": Count("id", filter=_KEPT_IN_TIME & Q(renegotiated=False)),
    "n_kept_late": Count("id", filter=_KEPT & Q(kept_on_time=False)),
    "n_renegotiated": Count("id", filter=_KEPT_IN_TIME & Q(renegotiated=True)),
    "n_missed": Count("id", filter=Q(status=CommitmentStatus.MISSED)),
}


def shares_summing_to_100(counts: list[int]) -> list[int]:
    """Whole percentages of counts that add up to exactly 100 (the largest remainder method:
    round every share down, then give the missing points to the largest remainders, earlier
    ones first on a tie). 1, 1, 1 gives 34, 33, 33, never 33, 33, 33."""
    total = sum(counts)
    if not total:
        return [0 for _ in counts]
    exact = [100 * count / total for count in counts]
    shares = [int(share) for share in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: 100 - sum(shares)]:
        shares[i] += 1
    return shares


def _with_shares(figures: dict) -> dict:
    closed = figures["n_closed"] or 0
    shares = shares_summing_to_100([figures[f"n_{name}"] for name in OUTCOMES])
    for name, share in zip(OUTCOMES, shares, strict=True):
        figures[f"{name}_share"] = share if closed else None
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
