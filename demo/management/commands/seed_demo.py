from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo agencies and staff (safe to run again) and print the logins. "
        "Development only: refuses to run unless DEBUG is on."
    )

    def handle(self, *args, **options):
        # The demo superuser's password and TOTP secret are published: a database they reach
        # is open to anyone who has read this repository.
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG on (DJANGO_SETTINGS_MODULE=config.settings.dev): "
                "its accounts have a published password and two-factor secret, and must never "
                "reach a real database."
            )
        logins = seed_demo()
        width = max(len(email) for email, _ in logins)
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        for email, what in logins:
            self.stdout.write(f"  {email.ljust(width)}  {what}")
        self.stdout.write(
            "\nTwo-factor accounts use the demo TOTP secret "
            f"{DEMO_TOTP_SECRET}: add it to an authenticator app, or print the current code "
            "with `.venv/bin/python manage.py demo_totp_code`.\n"
        )
        self.stdout.write(
            "Play a participant's phone (Rosa checks in by text reply): "
            "`.venv/bin/python manage.py sms_reply +12025550111 1`; texts land in "
            "var/outbox/sms/ and the outbox page.\n"
        )
