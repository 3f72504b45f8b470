from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and staff"

    def ready(self):
        from agencies import database_roles, text

        text.install()  # every text field refuses invisible formatting characters

        # Sent once per app after the whole migrate: connected for this app only, it runs
        # once, when every table exists.
        post_migrate.connect(database_roles.after_migrate, sender=self)
