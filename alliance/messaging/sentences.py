"""Notifications as people read them: the sentence its renderer wrote ("A check-in from Dee
needs a look."), linked to the thing it is about by a path on this site, with no raw address
in the words (decision 114).

Renderers (each app's messages.py) write the in-app sentence and give the link apart. Rows
written before that kept the address on a line of its own inside the text; it is taken out
here. A notification whose words are empty reads as the sentence of its kind (FALLBACK), and
a kind without one as a generic sentence, so a code or an address is never what is shown."""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from alliance.messaging.models import DeliveryKind

FALLBACK = {
    DeliveryKind.ALERT: _("A check-in needs a look."),
    DeliveryKind.COMMITMENT_REMINDER: _("A commitment you made is due soon."),
    DeliveryKind.COMMITMENT_MISSED: _("A commitment was missed."),
    DeliveryKind.GOAL_REVIEW: _("A goal review is due."),
}
GENERIC = _("Something in Rapport needs a look.")
_ADDRESS = re.compile(r"\s*https?://\S+")


@dataclass(frozen=True)
class NotificationLine:
    when: datetime
    text: str
    path: str  # where it leads on this site, or ""
    unread: bool
    pk: int


def site_path(link: str) -> str:
    """The link as a path on this site ("/a/agency-a/alerts/3/"), or "" when it leads
    elsewhere: a stored absolute address works on any host the site is served from."""
    if not link:
        return ""
    parts = urlsplit(link)
    site = urlsplit(settings.SITE_URL)
    if parts.scheme and parts.netloc != site.netloc:
        return ""
    if not parts.path.startswith("/"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def notification_line(notification, *, kind: str = "") -> NotificationLine:
    text = _ADDRESS.sub("", notification.text).strip()
    if not text:
        text = str(FALLBACK.get(kind, GENERIC))
    return NotificationLine(
        when=notification.created_at,
        text=text,
        path=site_path(notification.link),
        unread=notification.read_at is None,
        pk=notification.pk,
    )
