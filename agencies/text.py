"""Invisible formatting characters are refused in every text a person types (issue 15;
decision 135).

Text-direction controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) make a name or
a note display differently from what is stored ("Marcus\u202eevil" shows reversed), and
invisible characters (zero-width space, word joiner, byte-order mark, soft hyphen, invisible
operators, Hangul fillers) make two names that look the same differ, which defeats search,
duplicate checks and review. Zero-width joiner and non-joiner (U+200D, U+200C) are kept: emoji
sequences and several scripts (Persian, Indic) need them.

`refuse_invisible_formatting` is the one validator. `install()` (run when the agencies app is
ready) makes every Django form CharField and every DRF CharField run it, as both already run
their own null-character check: the staff pages, the participant portal and check-in page,
the API and the platform admin alike, and any field added later, with a message saying what
to remove."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import fields as drf_fields

INVISIBLE_FORMATTING = (
    "\u061c"  # Arabic letter mark
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a-\u202e"  # embeddings and overrides
    "\u2066-\u2069"  # isolates
    "\u200b"  # zero-width space
    "\u2060-\u2064"  # word joiner, invisible operators
    "\ufeff"  # byte-order mark / zero-width no-break space
    "\u00ad"  # soft hyphen
    "\u180e"  # Mongolian vowel separator
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
)
_FOUND = re.compile(f"[{INVISIBLE_FORMATTING}]")
MESSAGE = _(
    "Remove the invisible formatting characters (such as text-direction controls) from this text."
)


def refuse_invisible_formatting(value) -> None:
    if isinstance(value, str) and _FOUND.search(value):
        raise ValidationError(MESSAGE, code="invisible_formatting")


def _refusing(run_validators, error_class):
    def run_validators_refusing(self, value):
        try:
            refuse_invisible_formatting(value)
        except ValidationError as error:
            raise error_class(error.messages, code="invisible_formatting") from None
        return run_validators(self, value)

    run_validators_refusing.refuses_invisible_formatting = True
    return run_validators_refusing


def install() -> None:
    """Idempotent."""
    for cls, error_class in (
        (forms.CharField, ValidationError),
        (drf_fields.CharField, drf_exceptions.ValidationError),
    ):
        if not getattr(cls.run_validators, "refuses_invisible_formatting", False):
            cls.run_validators = _refusing(cls.run_validators, error_class)
