"""Dates and times as people read them, in one style per language (decision 110). The style
itself is the format module (`agencies/formats/<language>/formats.py`, FORMAT_MODULE_PATH);
templates use `|date:"DATETIME_FORMAT"` / `|date:"DATE_FORMAT"` / `|time:"TIME_FORMAT"`, and
Python (messages, notifications, the audit trail) uses these two functions. No other format
string is written anywhere (tests/agencies/test_formatting.py checks)."""

import zoneinfo
from datetime import date, datetime

from django.utils import formats, timezone


def format_moment(value: datetime, zone: str | None = None) -> str:
    """ "Mon, Nov 30, 2026, 1:23 PM" in the active language, in `zone` when given (a
    participant's own time zone), else in the active one (the agency's on staff pages)."""
    local = timezone.localtime(value, zoneinfo.ZoneInfo(zone) if zone else None)
    return formats.date_format(local, "DATETIME_FORMAT")


def format_day(value: date | datetime, zone: str | None = None) -> str:
    """ "Mon, Nov 30, 2026": a day, or the day a moment falls on (in `zone` when given)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, zoneinfo.ZoneInfo(zone) if zone else None)
    return formats.date_format(value, "DATE_FORMAT")
