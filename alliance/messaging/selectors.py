"""What staff see of a participant's texts: the last text's fate and a paused number."""

from dataclasses import dataclass

from alliance.messaging.models import Delivery, DeliveryChannel, DeliveryStatus, PausedNumber
from participants.panels import participant_panel

# What became of a text is known once it was delivered, did not arrive, or was refused.
KNOWN_FATE = [
    DeliveryStatus.DELIVERED,
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.FAILED,
]


@dataclass(frozen=True)
class TextingFigures:
    last: Delivery | None  # the latest text whose fate is known
    paused: PausedNumber | None

    @property
    def last_did_not_arrive(self) -> bool:
        return self.last is not None and self.last.status in (
            DeliveryStatus.UNDELIVERED,
            DeliveryStatus.FAILED,
        )

    @property
    def shown(self) -> bool:
        return self.last_did_not_arrive or self.paused is not None


@participant_panel("messaging/texting_panel.html")
def texting_panel(participant) -> TextingFigures:
    last = (
        Delivery.objects.filter(
            participant=participant, channel=DeliveryChannel.SMS, status__in=KNOWN_FATE
        )
        .order_by("-due_at", "-id")
        .first()
    )
    paused = None
    if participant.phone:
        paused = PausedNumber.objects.filter(
            participant=participant, phone=participant.phone, resumed_at__isnull=True
        ).first()
    return TextingFigures(last=last, paused=paused)
