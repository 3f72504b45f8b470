from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "alliance.portal"
    label = "portal"
    verbose_name = "Participant portal"

    def ready(self):
        # The portal-link text registers with messaging; the link's card with the
        # participant's page (participants/panels.py).
        from alliance.portal import messages, selectors  # noqa: F401
