"""One small class per delivery channel behind one interface (after Healthchecks'
`hc/integrations/<name>/transport.py`). A transport sends one rendered message to one address
and raises TransientError (worth retrying) or PermanentError (not)."""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    subject: str  # email subject: discreet, no recovery, substance or treatment words
    text: str
    link: str = ""


class TransientError(Exception):
    """The provider may accept the same message later (timeouts, 429, 5xx)."""


class PermanentError(Exception):
    """The provider refused the message (bad number, bad credentials): retrying will not help."""


class EmailTransport:
    """One connection to the default mailer per batch, opened at the first message and closed
    by `close()`; a connection that failed is dropped, so the next message opens a new one."""

    def __init__(self):
        self.mailer = None

    def send(self, *, delivery, address: str, message: Message) -> str:
        email = EmailMessage(
            message.subject,
            message.text,
            None,
            [address],
            headers={"X-Rapport-Delivery": delivery.idempotency_key},
        )
        try:
            if self.mailer is None:
                self.mailer = mailers.default
                self.mailer.open()  # kept open: sending alone would reconnect every time
            self.mailer.send_messages([email])
        except (OSError, TimeoutError) as error:  # SMTP connection problems
            self.close()
            raise TransientError(type(error).__name__) from error
        return ""

    def close(self) -> None:
        if self.mailer is not None:
            try:
                self.mailer.close()
            except (OSError, TimeoutError):
                log.warning("closing the mail connection failed")
            self.mailer = None


class InAppTransport:
    """Writes staff members' notifications, in the caller's transaction, which also marks the
    deliveries sent. The unique constraint on the delivery makes a second attempt a no-op
    (ON CONFLICT DO NOTHING, which waits for a concurrent writer of the same row): exactly
    once."""

    def send(self, *, delivery, address: str, message: Message) -> str:
        self.send_batch([(delivery, address, message)])
        return ""

    def send_batch(self, items) -> None:
        """Many (delivery, address, message) at once: one INSERT."""
        from alliance.messaging.models import Notification

        Notification.objects.bulk_create(
            [
                Notification(
                    agency_id=delivery.agency_id,
                    membership_id=delivery.membership_id,
                    delivery=delivery,
                    text=message.text[:300],
                    link=message.link,
                )
                for delivery, _address, message in items
            ],
            ignore_conflicts=True,
        )


# SMS ---------------------------------------------------------------------------------------


class FileSMS:
    """Development default: each SMS is written to var/outbox/sms/<delivery>.txt, so the number
    and the link never go to the console log."""

    def send(self, *, delivery, address: str, message: Message) -> str:
        folder = Path(settings.RAPPORT_SMS_OUTBOX)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{delivery.idempotency_key}.txt").write_text(
            f"To: {address}\n\n{message.text}\n"
        )
        log.info("SMS for delivery %s written to the outbox", delivery.pk)
        return ""


class MemorySMS:
    """Tests: messages collect in `MemorySMS.outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, delivery, address: str, message: Message) -> str:
        self.outbox.append((address, message.text))
        return f"memory-{len(self.outbox)}"


class ProviderSMS:
    """Production: the agency's SMS provider (alliance/messaging/providers/), with its
    sender and credentials (`sms_sender_config`), asking for a delivery report."""

    def send(self, *, delivery, address: str, message: Message) -> str:
        from alliance.messaging.providers import provider
        from alliance.messaging.sms import sms_sender_config, status_callback_url

        sender = sms_sender_config(delivery.agency_id)
        return provider(sender.provider).send(
            sender=sender,
            to=address,
            body=message.text,
            status_callback=status_callback_url(delivery.agency_id),
            idempotency_key=delivery.idempotency_key,
        )


TwilioSMS = ProviderSMS  # the setting's earlier name


def transport_for(channel: str):
    from alliance.messaging.models import DeliveryChannel

    if channel == DeliveryChannel.EMAIL:
        return EmailTransport()
    if channel == DeliveryChannel.IN_APP:
        return InAppTransport()
    return import_string(settings.RAPPORT_SMS_BACKEND)()
