"""Reads for check-ins."""

from django.core.cache import cache

from .models import InstrumentItem

ITEMS_CACHE_SECONDS = 60 * 60


def instrument_items(*, agency_id: int, instrument_id: int) -> list[InstrumentItem]:
    """The items of an instrument, in order. Instrument versions never change once created
    (a change is a new version), so their items are cached: the check-in page then costs one
    query on GET. The key carries the agency, and the read runs inside its scope."""
    key = f"instrument-items:{agency_id}:{instrument_id}"
    items = cache.get(key)
    if items is None:
        items = list(
            InstrumentItem.objects.filter(instrument_id=instrument_id).order_by("position")
        )
        cache.set(key, items, ITEMS_CACHE_SECONDS)
    return items
