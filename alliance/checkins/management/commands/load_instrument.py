"""python manage.py load_instrument --agency <slug> path.json

Loads an agency's own instrument from a JSON document (docs/instruments.md). Nothing is
created unless the whole document is valid; every problem is listed."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from alliance.checkins.instrument_loading import instrument_load

MAX_BYTES = 1_000_000


class Command(BaseCommand):
    help = "Load an agency's instrument from a JSON file (format: docs/instruments.md)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the instrument's JSON file")
        parser.add_argument("--agency", required=True, help="the agency's slug")

    def handle(self, *args, path, agency, **options):
        found = Agency.objects.filter(slug=agency).first()
        if found is None:
            raise CommandError(f"No agency with the slug {agency!r}.")
        file = Path(path)
        try:
            if file.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path} is larger than {MAX_BYTES} bytes.")
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from error
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} is not valid JSON (UTF-8): {error}") from error
        try:
            instrument = instrument_load(
                agency=found, data=data, actor_label="manage.py load_instrument"
            )
        except ValidationError as error:
            raise CommandError(
                "Nothing was loaded:\n" + "\n".join(f"- {m}" for m in error.messages)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {instrument.name} (key {instrument.key}, version {instrument.version}, "
                f"{len(data['items'])} items) for {found.name}. It is not the default "
                "instrument; make it so in Django admin when the agency is ready."
            )
        )
