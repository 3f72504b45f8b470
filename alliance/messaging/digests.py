"""The daily email digest for staff who chose it: at 08:00 in the agency's time zone, one
email listing what is waiting (the same items they already see in the app)."""

import logging
import zoneinfo
from datetime import datetime

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.messaging.models import Delivery, DeliveryStatus
from alliance.messaging.services import _RENDERERS, DIGEST_SUFFIX

DIGEST_HOUR = 8
log = logging.getLogger(__name__)


def digests_send_due(now: datetime) -> int:
    """Send the digests of every agency where it is now the digest hour. Returns emails sent."""
    sent = 0
    with scopes_disabled():
        agencies = [
            a
            for a in Agency.objects.filter(is_active=True)
            if now.astimezone(zoneinfo.ZoneInfo(a.time_zone)).hour == DIGEST_HOUR
        ]
    for agency in agencies:
        with agency_scope(agency), translation.override(agency.default_language):
            sent += _agency_digests(agency, now)
    return sent


def _digest_send(items, user) -> bool:
    """Email one member's digest; False when the mail server refused it."""
    lines = []
    for row in items:
        renderer = _RENDERERS.get(row.kind)
        message = renderer(row) if renderer else None
        if message is not None:
            lines.append(f"- {message.text}")
    if lines and user.is_active:
        try:
            send_mail(_("Your Rapport digest"), "\n".join(lines), None, [user.email])
        except OSError as error:
            log.warning(
                "digest for membership %s not sent (%s)",
                items[0].membership_id,
                type(error).__name__,
            )
            return False
    return True


def _agency_digests(agency, now) -> int:
    with transaction.atomic():
        rows = list(
            # Lock the deliveries only: the membership is on the nullable side of the join.
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("membership__user")
            .filter(
                status=DeliveryStatus.PENDING, due_at__lte=now, offset_key__endswith=DIGEST_SUFFIX
            )
        )
        by_member = {}
        for row in rows:
            by_member.setdefault(row.membership_id, []).append(row)
        for items in by_member.values():
            user = items[0].membership.user
            # In the language the staff member chose in their profile, else the agency's.
            with translation.override(user.language or agency.default_language):
                if not _digest_send(items, user):
                    continue  # the mail server refused: kept for the next digest
            Delivery.objects.filter(pk__in=[row.pk for row in items]).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=1
            )
    return len(by_member)
