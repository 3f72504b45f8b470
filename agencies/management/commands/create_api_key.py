"""manage.py create_api_key --agency <slug> --name <name> [--scope read|read_write]
[--resources participants,alerts]: prints a new API key, once."""

from django.core.management.base import BaseCommand, CommandError

from agencies.api.keys import api_key_create
from agencies.api.resources import API_RESOURCES
from agencies.models import Agency, ApiKey


class Command(BaseCommand):
    help = "Create an API key for an agency and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="the agency's slug")
        parser.add_argument("--name", required=True, help="which system will use the key")
        parser.add_argument(
            "--scope",
            choices=ApiKey.Access.values,
            default=ApiKey.Access.READ,
            help="read (the default) or read_write",
        )
        parser.add_argument(
            "--resources",
            default="",
            help="comma-separated, of: " + ", ".join(API_RESOURCES) + " (default: all)",
        )

    def handle(self, *args, agency, name, scope, resources, **options):
        found = Agency.objects.filter(slug=agency, is_active=True).first()
        if found is None:
            raise CommandError(f"No active agency with slug {agency!r}.")
        if not name.strip() or len(name.strip()) > 100:
            raise CommandError("Give a name of 1 to 100 characters.")
        wanted = [item.strip() for item in resources.split(",") if item.strip()]
        unknown = [item for item in wanted if item not in API_RESOURCES]
        if unknown:
            raise CommandError(f"Unknown resources {unknown}: use {', '.join(API_RESOURCES)}.")
        key, raw = api_key_create(
            agency=found, name=name, created_by=None, access=scope, resources=wanted
        )
        self.stderr.write(
            f"API key #{key.pk} for {found.slug} ({key.name}), {key.get_access_display()}, "
            f"{', '.join(key.resources) or 'every resource'}; shown only once:"
        )
        self.stdout.write(raw)
