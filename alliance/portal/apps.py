from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "alliance.portal"
    label = "portal"
    verbose_name = "Participant portal"

    def ready(self):
        # The portal-link text registers its renderer with messaging.
        from alliance.portal import messages  # noqa: F401
