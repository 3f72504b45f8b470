from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "alliance"

    def ready(self):
        # Each module registers the renderers of the messages it sends (alliance.delivery).
        from . import commitments, goals, notices, schedules  # noqa: F401
