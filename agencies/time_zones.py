"""The time zones people choose from (agency settings, a participant's record): a short list
grouped by region, each with a name people recognise, instead of the 600 raw IANA names
(which include "Factory" and "localtime"). A value already stored that is not on the list is
offered too, so saving a form never changes it (decision 111). The API and imports still
accept any IANA name."""

import zoneinfo

from django.utils.translation import gettext_lazy as _

CURATED = [
    (
        _("United States and Canada"),
        [
            ("America/New_York", _("Eastern Time (New York)")),
            ("America/Chicago", _("Central Time (Chicago)")),
            ("America/Denver", _("Mountain Time (Denver)")),
            ("America/Phoenix", _("Mountain Time without daylight saving (Phoenix)")),
            ("America/Los_Angeles", _("Pacific Time (Los Angeles)")),
            ("America/Anchorage", _("Alaska (Anchorage)")),
            ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
            ("America/Toronto", _("Eastern Time (Toronto)")),
            ("America/Winnipeg", _("Central Time (Winnipeg)")),
            ("America/Edmonton", _("Mountain Time (Edmonton)")),
            ("America/Vancouver", _("Pacific Time (Vancouver)")),
            ("America/Halifax", _("Atlantic Time (Halifax)")),
            ("America/St_Johns", _("Newfoundland (St. John's)")),
            ("America/Puerto_Rico", _("Atlantic Time (Puerto Rico)")),
            ("Pacific/Guam", _("Chamorro Time (Guam)")),
        ],
    ),
    (
        _("Mexico, the Caribbean, Central and South America"),
        [
            ("America/Mexico_City", _("Mexico City")),
            ("America/Tijuana", _("Tijuana")),
            ("America/Guatemala", _("Guatemala")),
            ("America/El_Salvador", _("El Salvador")),
            ("America/Tegucigalpa", _("Honduras")),
            ("America/Havana", _("Havana")),
            ("America/Santo_Domingo", _("Santo Domingo")),
            ("America/Bogota", _("Bogotá")),
            ("America/Lima", _("Lima")),
            ("America/Caracas", _("Caracas")),
            ("America/Santiago", _("Santiago de Chile")),
            ("America/Argentina/Buenos_Aires", _("Buenos Aires")),
            ("America/Sao_Paulo", _("São Paulo")),
        ],
    ),
    (
        _("Europe and Africa"),
        [
            ("Europe/London", _("London")),
            ("Europe/Dublin", _("Dublin")),
            ("Europe/Lisbon", _("Lisbon")),
            ("Europe/Madrid", _("Madrid")),
            ("Europe/Paris", _("Paris")),
            ("Europe/Berlin", _("Berlin")),
            ("Europe/Rome", _("Rome")),
            ("Europe/Athens", _("Athens")),
            ("Europe/Kyiv", _("Kyiv")),
            ("Europe/Istanbul", _("Istanbul")),
            ("Africa/Lagos", _("Lagos")),
            ("Africa/Cairo", _("Cairo")),
            ("Africa/Nairobi", _("Nairobi")),
            ("Africa/Johannesburg", _("Johannesburg")),
        ],
    ),
    (
        _("Asia and Oceania"),
        [
            ("Asia/Dubai", _("Dubai")),
            ("Asia/Kolkata", _("India (Kolkata)")),
            ("Asia/Manila", _("Manila")),
            ("Asia/Shanghai", _("China (Shanghai)")),
            ("Asia/Seoul", _("Seoul")),
            ("Asia/Tokyo", _("Tokyo")),
            ("Australia/Sydney", _("Sydney")),
            ("Pacific/Auckland", _("Auckland")),
        ],
    ),
    (_("Other"), [("UTC", _("Coordinated Universal Time (UTC)"))]),
]

_LABELS = {name: label for _region, zones in CURATED for name, label in zones}


def time_zone_label(name: str) -> str:
    """The readable name of a zone ("Eastern Time (New York)"), or the IANA name itself."""
    return str(_LABELS.get(name, name))


def time_zone_choices(*current: str, empty_label=None) -> list:
    """Grouped choices for a select: the curated list, each `current` value that is a real
    zone not on the list (the stored one, so it stays chosen; the one sent, so the API and
    imports accept any IANA name through the same form), and an empty choice when
    empty_label is given."""
    choices = [("", empty_label)] if empty_label is not None else []
    others = sorted(
        {
            name
            for name in current
            if name and name not in _LABELS and name in zoneinfo.available_timezones()
        }
    )
    if others:
        choices.append((_("Current setting"), [(name, name) for name in others]))
    return choices + CURATED
