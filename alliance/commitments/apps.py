from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "alliance.commitments"
    label = "commitments"
    verbose_name = "Commitments and schedules"

    def ready(self):
        from agencies import access

        # Its texts register with messaging; its panel with the participant's page.
        from alliance.commitments import messages, selectors  # noqa: F401
        from alliance.commitments.models import Commitment

        # A commitment is reached by id through the caseload rule (agencies/access.py).
        access.resolve_in_caseload(
            "commitment_id",
            argument="commitment",
            rows=lambda: Commitment.objects.select_related("agency", "participant", "staff__user"),
        )
