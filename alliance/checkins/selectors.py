"""Reads for check-ins."""

from django.core.cache import cache

from alliance.checkins.models import InstrumentItem

ITEMS_CACHE_SECONDS = 60 * 60


_ITEMS: dict[tuple[int, int], list[InstrumentItem]] = {}
_ITEMS_MAX = 500


def instrument_items(*, agency_id: int, instrument_id: int) -> list[InstrumentItem]:
    """The items of an instrument, in order. Instrument versions never change once created
    (a change is a new version), so their items are kept in this process's memory, backed by
    the shared cache: the check-in page then costs one query on GET. The key carries the
    agency, and the read runs inside its scope."""
    key = (agency_id, instrument_id)
    items = _ITEMS.get(key)
    if items is None:
        shared_key = f"instrument-items:{agency_id}:{instrument_id}"
        items = cache.get(shared_key)
        if items is None:
            items = list(
                InstrumentItem.objects.filter(instrument_id=instrument_id).order_by("position")
            )
            cache.set(shared_key, items, ITEMS_CACHE_SECONDS)
        if len(_ITEMS) >= _ITEMS_MAX:
            _ITEMS.clear()
        _ITEMS[key] = items
    return list(items)


def instrument_items_forget() -> None:
    """Empty this process's copy (tests: a rolled-back database reuses instrument ids)."""
    _ITEMS.clear()
