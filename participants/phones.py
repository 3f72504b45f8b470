"""Phone numbers are stored in E.164 (+15551234567), parsed with Google's libphonenumber."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_to_e164(raw: str, region: str | None = None) -> str:
    """Normalise a typed number ("(555) 201-3344", "+34 612 34 56 78") to E.164, or raise
    ValidationError. Numbers without a country code are read in `region`."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.RAPPORT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("Enter a phone number, with the country code if not in the US."), code="invalid"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
