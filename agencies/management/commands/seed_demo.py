from django.core.management.base import BaseCommand

from agencies.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo


class Command(BaseCommand):
    help = "Create the demo agencies and staff (safe to run again) and print the logins."

    def handle(self, *args, **options):
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
