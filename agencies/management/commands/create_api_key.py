"""manage.py create_api_key --agency <slug> --name <name>: prints a new API key, once."""

from django.core.management.base import BaseCommand, CommandError

from agencies.api.keys import api_key_create
from agencies.models import Agency


class Command(BaseCommand):
    help = "Create an API key for an agency and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="the agency's slug")
        parser.add_argument("--name", required=True, help="which system will use the key")

    def handle(self, *args, agency, name, **options):
        found = Agency.objects.filter(slug=agency, is_active=True).first()
        if found is None:
            raise CommandError(f"No active agency with slug {agency!r}.")
        if not name.strip() or len(name.strip()) > 100:
            raise CommandError("Give a name of 1 to 100 characters.")
        key, raw = api_key_create(agency=found, name=name, created_by=None)
        self.stderr.write(f"API key #{key.pk} for {found.slug} ({key.name}); shown only once:")
        self.stdout.write(raw)
