"""Play a participant's phone: hand a text to Rapport's inbound SMS handler, as the provider's
webhook does (without the signature, which only the network path needs), and print what
Rapport answered. With the file transport of `make run` the answers are also in
var/outbox/sms/ and in the staff outbox.

    .venv/bin/python manage.py sms_reply +12025550111 "1"
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.messaging import sms
from alliance.messaging.models import Delivery, DeliveryKind
from alliance.messaging.providers import InboundText
from participants.models import Participant


class Command(BaseCommand):
    help = "Send a text to Rapport as if from this phone number, and print the answers."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the participant's phone, E.164 (+15551230001)")
        parser.add_argument("words", help="what the text says, e.g. 4, SKIP, STOP, AYUDA")
        parser.add_argument("--agency", help="the agency's slug (when the number is unknown)")

    def handle(self, *args, number, words, agency=None, **options):
        target = self._agency(number, agency)
        with scopes_disabled():
            before = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
        inbound = InboundText(f"local-{uuid.uuid4().hex}", number, "", words)
        with agency_scope(target):
            handled = sms.text_received(agency=target, inbound=inbound)
            if handled.direct_reply:
                self.stdout.write(f"Rapport answered: {handled.direct_reply}")
            answers = Delivery.objects.filter(
                pk__gt=before, kind__in=[DeliveryKind.TEXT_REPLY, DeliveryKind.KEYWORD_REPLY]
            ).order_by("id")
            for delivery in answers:
                self.stdout.write(self._describe(delivery))
        if not handled.direct_reply and not answers:
            self.stdout.write("Rapport sent no answer.")

    def _agency(self, number: str, slug: str | None) -> Agency:
        if slug:
            found = Agency.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No agency {slug}.")
            return found
        with scopes_disabled():
            ids = set(Participant.objects.filter(phone=number).values_list("agency_id", flat=True))
        if len(ids) != 1:
            raise CommandError(
                "Say which agency's number was texted: --agency <slug>"
                + (" (the number is in several)." if ids else " (no participant has it).")
            )
        return Agency.objects.get(pk=ids.pop())

    def _describe(self, delivery: Delivery) -> str:
        delivery.refresh_from_db()
        outbox = Path(settings.RAPPORT_SMS_OUTBOX) / f"{delivery.idempotency_key}.txt"
        if delivery.status == "sent" and outbox.exists():
            text = outbox.read_text().split("\n\n", 1)[-1].strip()
            return f"Rapport answered: {text}\n  ({outbox})"
        reason = (
            f" ({delivery.skip_reason or delivery.last_error})" if delivery.status != "sent" else ""
        )
        return f"Answer #{delivery.pk}: {delivery.get_status_display()}{reason}"
