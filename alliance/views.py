"""The agency home: what a staff member should look at today. A peer sees their caseload,
their open alerts, their commitments coming up and their own consistency; supervisors and
admins see the agency's consistency per peer too. Constant query count."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.models import Membership, Role
from alliance import selectors as caseload_selectors
from alliance.checkins.models import Alert, AlertStatus
from alliance.commitments.models import Commitment, CommitmentStatus
from alliance.commitments.selectors import consistency_by_peer, consistency_for
from alliance.messaging.models import Notification
from participants import selectors as participant_selectors
from participants.forms import CaseloadFilterForm, CaseloadSearchForm
from participants.models import ParticipantStatus
from participants.selectors import participants_visible_to

UPCOMING_DAYS = 7


def agency_home(request, agency_slug):
    membership = request.membership
    visible = participants_visible_to(membership)
    now = timezone.now()
    context = {
        "caseload_count": visible.count(),
        "open_alerts": Alert.objects.filter(participant__in=visible)
        .exclude(status=AlertStatus.RESOLVED)
        .count(),
        "unread": Notification.objects.filter(membership=membership, read_at__isnull=True).count(),
        "upcoming": Commitment.objects.filter(
            staff=membership,
            status=CommitmentStatus.OPEN,
            due_at__lte=now + timedelta(days=UPCOMING_DAYS),
        )
        .select_related("participant")
        .order_by("due_at")[:20],
        "my_figures": consistency_for(staff=membership),
    }
    if membership.sees_whole_agency:
        by_peer = consistency_by_peer()
        peers = Membership.objects.filter(role=Role.PEER, is_active=True).select_related("user")
        context["agency_figures"] = consistency_for()
        context["peer_rows"] = [(peer, by_peer.get(peer.pk)) for peer in peers]
    return render(request, "alliance/agency_home.html", context)


# The caseload: a peer's working list ----------------------------------------------------------

CASELOAD_PAGE_SIZE = 25


def _search_key(agency) -> str:
    return f"caseload-search:{agency.pk}"


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """What one row of the caseload shows, worked out once in Python: the template then only
    prints it (the page renders 25 of these on every visit)."""

    url: str
    name: str
    pronouns: str
    status: str
    status_label: str
    peer_name: str  # "" when unassigned
    percent: float | None  # the latest check-in's score
    direction: str  # "up", "down", "same", or "" with fewer than two scores
    open_alert: bool
    wants_supervisor: bool
    next_commitment_at: datetime | None
    next_commitment_what: str
    commitment_overdue: bool
    last_contact_at: datetime | None
    last_contact_iso: str  # in the agency's zone, for <time datetime>
    days_since_contact: int | None
    cadence_days: int
    contact_overdue: bool
    okay_to_text: bool


STATUS_LABELS = dict(ParticipantStatus.choices)


def _direction(latest: float | None, previous: float | None) -> str:
    if latest is None or previous is None:
        return ""
    if latest - previous >= caseload_selectors.SCORE_CHANGE_POINTS:
        return "up"
    if previous - latest >= caseload_selectors.SCORE_CHANGE_POINTS:
        return "down"
    return "same"


def _caseload_row(participant, caseload_url: str, staff: dict, today) -> CaseloadRow:
    last_contact = participant.last_contact_at
    peer = staff.get(participant.assigned_peer_id)
    return CaseloadRow(
        # participant_detail is the caseload's URL and the id (participants/urls.py): one
        # reverse() for the page instead of one per row.
        url=f"{caseload_url}{participant.pk}/",
        name=participant.preferred_name,
        pronouns=participant.pronouns,
        status=participant.status,
        status_label=STATUS_LABELS.get(participant.status, participant.status),
        peer_name=peer.name if peer is not None else "",
        percent=participant.last_percent,
        direction=_direction(participant.last_percent, participant.previous_percent),
        open_alert=participant.open_alert,
        wants_supervisor=participant.wants_supervisor,
        next_commitment_at=participant.next_commitment_at,
        next_commitment_what=participant.next_commitment_what or "",
        commitment_overdue=participant.commitment_overdue,
        last_contact_at=last_contact,
        last_contact_iso=timezone.localtime(last_contact).isoformat() if last_contact else "",
        days_since_contact=(
            (today - timezone.localtime(last_contact).date()).days if last_contact else None
        ),
        cadence_days=participant.cadence_weeks * 7,
        contact_overdue=participant.contact_overdue,
        okay_to_text=participant.okay_to_text,
    )


@require_http_methods(["GET", "POST"])
def caseload(request, agency_slug):
    """The caseload as a working list. Filters and sort are in the address; the name search
    is POSTed and kept in the session (never in an address), then the page is shown again
    by GET with the same filters."""
    key = _search_key(request.agency)
    caseload_url = reverse("caseload", args=[agency_slug])
    if request.method == "POST":
        search = CaseloadSearchForm(request.POST)
        if search.is_valid():
            term = search.cleaned_data["q"].strip()
            if term and "clear" not in request.POST:
                request.session[key] = term
            else:
                request.session.pop(key, None)
            query = request.GET.copy()
            query.pop("page", None)
            return redirect(f"{caseload_url}?{query.urlencode()}" if query else caseload_url)
        term = ""
    else:
        term = request.session.get(key, "")
        search = CaseloadSearchForm(initial={"q": term})
    staff = participant_selectors.staff_names()  # the peer filter's choices and peer names
    filters = CaseloadFilterForm(request.GET or None, staff=staff)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    sort = cleaned.get("sort") or "name"
    participants = caseload_selectors.caseload(
        request.membership,
        search=term,
        status=cleaned.get("status", ""),
        peer_id=cleaned.get("peer"),
        flag=cleaned.get("flag", ""),
        sort=sort,
    )
    page = Paginator(participants, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    without_sort = query.copy()
    without_sort.pop("sort", None)
    today = request.agency.today()
    return render(
        request,
        "participants/caseload.html",
        {
            "search": search,
            "searching": term,
            "filters": filters,
            "page": page,
            "rows": [_caseload_row(p, caseload_url, staff, today) for p in page],
            "query": query.urlencode(),
            "sort": sort,
            "sort_query": without_sort.urlencode(),
            "whole_agency": request.membership.sees_whole_agency,
        },
        status=400 if search.is_bound else 200,
    )
