"""An email provider stand-in for tests: Django's in-memory backend, except that it refuses
addresses at refused.example, as a mail server refuses a recipient (smtplib's error, raised
where Django hands the message to the provider)."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class RefusingEmailBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            refused = [address for address in message.recipients() if "@refused.example" in address]
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"No") for address in refused})
        return super().send_messages(messages)
