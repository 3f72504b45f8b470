from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "alliance.goals"
    label = "goals"
    verbose_name = "Goals"

    def ready(self):
        from alliance.goals import (
            messages,  # noqa: F401 (its texts register with messaging)
            services,
        )
        from participants.signals import participant_transferred

        participant_transferred.connect(services.goal_reviews_on_transfer, dispatch_uid="goals")
