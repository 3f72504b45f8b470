"""Texts the goals app sends: the peer's goal review reminder."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.formatting import format_day
from alliance.goals.models import RecoveryGoal
from alliance.goals.services import OPEN_STATUSES
from alliance.messaging.models import DeliveryChannel, DeliveryKind
from alliance.messaging.services import (
    Message,
    message_renderer,
)


@message_renderer(DeliveryKind.GOAL_REVIEW)
def goal_review_message(delivery) -> Message | None:
    """The peer's reminder, or None (skipped) when it no longer applies: the goal was closed,
    or the participant now has another peer. The subject names no goal, person or recovery
    work (email subjects show on lock screens and in shared inboxes); only the in-app text
    names the participant, by their preferred name; the goal's words are never in it."""
    goal = (
        RecoveryGoal.objects.select_related("participant", "agency")
        .filter(pk=delivery.subject_id)
        .first()
    )
    if (
        goal is None
        or goal.status not in OPEN_STATUSES
        or goal.review_on is None
        or goal.participant.assigned_peer_id != delivery.membership_id
    ):
        return None
    path = reverse(
        "goal_list",
        kwargs={"agency_slug": goal.agency.slug, "participant_id": goal.participant_id},
    )
    when = format_day(goal.review_on)
    if delivery.channel == DeliveryChannel.IN_APP:
        text = _("Time to review a goal with %(name)s (review date %(date)s).") % {
            "name": goal.participant.preferred_name,
            "date": when,
        }
        return Message(subject=_("A review is due"), text=text, link=path)
    link = settings.SITE_URL + path
    text = _("A review you planned is due on %(date)s. Sign in to Rapport to see it:\n%(link)s") % {
        "date": when,
        "link": link,
    }
    return Message(subject=_("A review is due"), text=text, link=link)
