"""SMS providers behind one small interface (base.py). A second provider is one new file
here and one line in PROVIDERS; an agency's SmsSender row names the one it uses."""

from django.utils.module_loading import import_string

from alliance.messaging.providers.base import (
    DeliveryReport,
    InboundText,
    SenderConfig,
    SmsProvider,
)

PROVIDERS = {"twilio": "alliance.messaging.providers.twilio.TwilioProvider"}

__all__ = ["PROVIDERS", "DeliveryReport", "InboundText", "SenderConfig", "SmsProvider", "provider"]


def provider(name: str) -> SmsProvider:
    return import_string(PROVIDERS[name])()
