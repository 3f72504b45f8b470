from django.core.management.base import BaseCommand, CommandError

from bench.scale_data import seed_scale


class Command(BaseCommand):
    help = (
        "Create a large realistic data set quickly (bulk COPY): agencies with staff, "
        "participants, weekly check-ins with scores, alerts and contacts. Run it as the "
        "maintenance role (COPY, which row-level security refuses to the application role)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agencies", type=int, default=10)
        parser.add_argument("--participants-per-agency", type=int, default=100)
        parser.add_argument("--weeks", type=int, default=12, help="weeks of history each")
        parser.add_argument("--prefix", default="scale", help="agency slugs are <prefix>-<n>")
        parser.add_argument("--seed", type=int, default=8, help="random seed (same data)")

    def handle(self, *args, **options):
        if min(options["agencies"], options["participants_per_agency"], options["weeks"]) < 1:
            raise CommandError("--agencies, --participants-per-agency and --weeks must be >= 1.")
        result = seed_scale(
            agencies=options["agencies"],
            participants_per_agency=options["participants_per_agency"],
            weeks=options["weeks"],
            prefix=options["prefix"],
            seed=options["seed"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))
