"""Twilio Programmable Messaging through the official `twilio` library: the REST client to
send (with a status callback, for delivery receipts) and `RequestValidator` for the
X-Twilio-Signature of every webhook. Errors keep Twilio's code, never the number or text."""

from xml.sax.saxutils import escape

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from alliance.messaging.providers.base import (
    DeliveryReport,
    InboundText,
    ReportStatus,
    SenderConfig,
    SmsProvider,
)
from alliance.messaging.transports import PermanentError, TransientError

TIMEOUT = 10  # seconds; a reply sent from a webhook must finish well inside Twilio's 15 s


class _HttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with the idempotency key of the delivery as a header (Twilio
    ignores unknown headers; a provider or proxy that honours it de-duplicates on it)."""

    def __init__(self, extra_headers: dict):
        super().__init__(timeout=TIMEOUT)
        self.extra_headers = extra_headers

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        return super().request(
            method, url, params, data, {**(headers or {}), **self.extra_headers}, **kwargs
        )


STATUSES = {
    "delivered": ReportStatus.DELIVERED,
    "undelivered": ReportStatus.UNDELIVERED,
    "failed": ReportStatus.FAILED,
}


class TwilioProvider(SmsProvider):
    name = "twilio"

    def client(self, sender: SenderConfig, headers: dict) -> Client:
        client = Client(sender.account_sid, sender.auth_token, http_client=_HttpClient(headers))
        if settings.TWILIO_API_BASE_URL:  # a local stand-in for api.twilio.com (tests)
            client.api.base_url = settings.TWILIO_API_BASE_URL
        return client

    def send(self, *, sender, to, body, status_callback="", idempotency_key=""):
        if not sender.is_complete:
            raise PermanentError("SMS sender not configured")
        fields = {"to": to, "body": body}
        if sender.messaging_service_sid:
            fields["messaging_service_sid"] = sender.messaging_service_sid
        else:
            fields["from_"] = sender.from_number
        if status_callback:
            fields["status_callback"] = status_callback
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            message = self.client(sender, headers).messages.create(**fields)
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"HTTP {error.status}") from None
            raise PermanentError(f"HTTP {error.status} code {error.code or ''}".strip()) from None
        except requests.RequestException as error:
            raise TransientError(type(error).__name__) from None
        except TwilioException as error:
            raise TransientError(type(error).__name__) from None
        return message.sid or ""

    def signature_valid(self, *, sender, url, params, headers) -> bool:
        signature = headers.get("X-Twilio-Signature", "")
        if not sender.auth_token or not signature:
            return False
        return RequestValidator(sender.auth_token).validate(url, params, signature)

    def inbound(self, params):
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not sid or not params.get("From"):
            return None
        return InboundText(sid, params["From"], params.get("To", ""), params.get("Body", ""))

    def report(self, params):
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not sid:
            return None
        status = STATUSES.get(params.get("MessageStatus", ""), ReportStatus.OTHER)
        return DeliveryReport(sid, status, str(params.get("ErrorCode", "") or ""))

    def reply_document(self, text):
        body = f"<Message>{escape(text)}</Message>" if text else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
            "text/xml; charset=utf-8",
        )
