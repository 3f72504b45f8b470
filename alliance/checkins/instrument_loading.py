"""Agency instruments from JSON (format: docs/instruments.md).

`instrument_load` checks the whole document first and reports every problem at once, each
message naming the item and field ("items[2] (position 2): scale_max: ..."), then creates the
instrument and its items in one transaction. It never changes an existing version: a changed
instrument is loaded as a new version.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agencies.models import Agency, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope
from alliance.checkins.models import Instrument, InstrumentItem, ItemKind, Practice

TOP_FIELDS = {"key", "version", "name", "licence_note", "items"}
ITEM_FIELDS = {
    "position",
    "kind",
    "practice",
    "text",
    "scale_min",
    "scale_max",
    "label_min",
    "label_max",
    "required",
}
SCALE_ONLY_FIELDS = ("scale_min", "scale_max", "label_min", "label_max")
LANGUAGES = {code for code, _name in settings.LANGUAGES}
LANGUAGE_LIST = ", ".join(sorted(LANGUAGES))
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_MAX, NAME_MAX, TEXT_MAX, NOTE_MAX = 60, 200, 1000, 5000
MAX_ITEMS = 100
MAX_POSITION = 1000
# The check-in page shows one radio button per point, so a scale has at most 11 of them.
SCALE_LOWEST, SCALE_HIGHEST = 0, 10


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value, *, required: bool) -> str | None:
    """The problem with a {language: text} mapping, or None."""
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        return 'must be an object of texts by language, e.g. {"en": "...", "es": "..."}'
    unknown = sorted(set(value) - LANGUAGES)
    if unknown:
        return f"unknown language {', '.join(map(repr, unknown))} (use {LANGUAGE_LIST})"
    if not value and not required:
        return None
    if not isinstance(value.get("en"), str) or not value["en"].strip():
        return 'needs the English text under "en"'
    for language, text in value.items():
        if not isinstance(text, str) or not text.strip():
            return f'"{language}" must be non-empty text'
        if len(text) > TEXT_MAX:
            return f'"{language}" is longer than {TEXT_MAX} characters'
    return None


def _item_errors(index: int, item) -> list[str]:
    position = item.get("position") if isinstance(item, dict) else None
    where = f"items[{index}]" + (f" (position {position})" if _is_int(position) else "")
    if not isinstance(item, dict):
        return [f"{where}: must be an object"]
    errors = []

    def error(field: str, message: str):
        errors.append(f"{where}: {field}: {message}")

    for field in sorted(set(item) - ITEM_FIELDS):
        error(field, f"is not a known field (allowed: {', '.join(sorted(ITEM_FIELDS))})")
    if not _is_int(position) or not 1 <= position <= MAX_POSITION:
        error("position", f"must be a whole number from 1 to {MAX_POSITION}")
    kind = item.get("kind")
    if kind not in ItemKind.values:
        error("kind", f"must be one of {', '.join(map(repr, ItemKind.values))}")
    practice = item.get("practice", "")
    if practice not in ["", *Practice.values]:
        error("practice", f"must be empty or one of {', '.join(Practice.values)}")
    problem = _texts(item.get("text"), required=True)
    if problem:
        error("text", problem)
    if "required" in item and not isinstance(item["required"], bool):
        error("required", "must be true or false")
    if kind == ItemKind.SCALE:
        low, high = item.get("scale_min"), item.get("scale_max")
        if not _is_int(low) or not SCALE_LOWEST <= low <= SCALE_HIGHEST:
            error("scale_min", f"must be a whole number from {SCALE_LOWEST} to {SCALE_HIGHEST}")
        if not _is_int(high) or not SCALE_LOWEST <= high <= SCALE_HIGHEST:
            error("scale_max", f"must be a whole number from {SCALE_LOWEST} to {SCALE_HIGHEST}")
        elif _is_int(low) and high <= low:
            error("scale_max", "must be greater than scale_min")
        for field in ("label_min", "label_max"):
            problem = _texts(item.get(field), required=False)
            if problem:
                error(field, problem)
    elif kind == ItemKind.TEXT:
        if practice:
            error("practice", "applies to scale items only; leave it out for a text item")
        for field in SCALE_ONLY_FIELDS:
            if item.get(field) not in (None, {}):
                error(field, "applies to scale items only; leave it out for a text item")
    return errors


def instrument_errors(data) -> list[str]:
    """Every problem with an instrument document, in document order; empty when it is valid."""
    if not isinstance(data, dict):
        return ["The document must be a JSON object with key, version, name and items."]
    errors = []
    for field in sorted(set(data) - TOP_FIELDS):
        errors.append(f"{field}: is not a known field (allowed: {', '.join(sorted(TOP_FIELDS))})")
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key) or len(key) > KEY_MAX:
        errors.append(
            f"key: must be lowercase letters, digits and single hyphens, at most {KEY_MAX} "
            'characters (e.g. "harbor-weekly")'
        )
    version = data.get("version")
    if not _is_int(version) or version < 1:
        errors.append("version: must be a whole number, 1 or more")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        errors.append(f"name: must be non-empty text of at most {NAME_MAX} characters")
    note = data.get("licence_note", "")
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors.append(f"licence_note: must be text of at most {NOTE_MAX} characters")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        errors.append("items: must be a non-empty list of items")
        return errors
    if len(items) > MAX_ITEMS:
        errors.append(f"items: at most {MAX_ITEMS} items")
    seen: set[int] = set()
    for index, item in enumerate(items, start=1):
        item_errors = _item_errors(index, item)
        errors.extend(item_errors)
        position = item.get("position") if isinstance(item, dict) else None
        if _is_int(position):
            if position in seen:
                errors.append(
                    f"items[{index}] (position {position}): position: is used by an earlier item"
                )
            seen.add(position)
    if not any(isinstance(item, dict) and item.get("kind") == ItemKind.SCALE for item in items):
        errors.append("items: needs at least one scale item, or no check-in could be scored")
    return errors


def instrument_load(
    *, agency: Agency, data: dict, actor: User | None = None, actor_label: str = ""
) -> Instrument:
    """Validate `data` and create the instrument with its items for `agency`, atomically.

    Raises ValidationError (every problem at once) when the document is invalid or the
    agency already has this key and version. The new instrument is not the default; a
    platform admin makes it so in Django admin. Opens the agency's scope itself, so it works
    from the admin (unscoped) and from a management command alike."""
    errors = instrument_errors(data)
    if errors:
        raise ValidationError(errors)
    with agency_scope(agency):
        try:
            with transaction.atomic():
                if Instrument.objects.filter(key=data["key"], version=data["version"]).exists():
                    raise ValidationError(_exists(agency, data))
                instrument = Instrument.objects.create(
                    agency=agency,
                    key=data["key"],
                    version=data["version"],
                    name=data["name"].strip(),
                    licence_note=data.get("licence_note", "").strip(),
                    is_default=False,
                )
                InstrumentItem.objects.bulk_create(
                    [
                        InstrumentItem(
                            agency=agency,
                            instrument=instrument,
                            position=item["position"],
                            kind=item["kind"],
                            practice=item.get("practice", ""),
                            text=item["text"],
                            scale_min=item.get("scale_min"),
                            scale_max=item.get("scale_max"),
                            label_min=item.get("label_min") or {},
                            label_max=item.get("label_max") or {},
                            required=item.get("required", False),
                        )
                        for item in data["items"]
                    ]
                )
                audit_record(
                    agency=agency,
                    actor=actor,
                    actor_label=actor_label,
                    action="instrument.loaded",
                    target=instrument,
                )
        except IntegrityError as error:  # loaded concurrently by someone else
            raise ValidationError(_exists(agency, data)) from error
    return instrument


def _exists(agency: Agency, data: dict) -> str:
    return (
        f"{agency.name} already has {data['key']} version {data['version']}; "
        "versions never change once loaded: load the change as the next version."
    )
