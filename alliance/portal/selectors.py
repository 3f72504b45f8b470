"""Reads of the portal app: the portal-link panel on the participant's staff page."""

from dataclasses import dataclass

from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from participants.models import PortalLink
from participants.panels import participant_panel
from participants.selectors import portal_link_active

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
