"""The agency home: what a staff member should look at today. A peer sees their caseload,
their open alerts, their commitments coming up and their own consistency; supervisors and
admins see the agency's consistency per peer too. Constant query count."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from agencies.models import Membership, Role
from alliance.checkins.models import Alert, AlertStatus
from alliance.commitments.models import Commitment, CommitmentStatus
from alliance.commitments.selectors import consistency_by_peer, consistency_for
from alliance.messaging.models import Notification
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
