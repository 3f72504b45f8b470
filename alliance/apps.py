from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "alliance"

    def ready(self):
        from agencies import access

        # Each module registers the renderers of the messages it sends (alliance.delivery).
        from . import commitments, goals, notices, schedules  # noqa: F401
        from .models import Alert, CheckInResponse, Commitment

        # Objects reached by id outside a participant's address, through the caseload rule
        # like the participant (agencies/access.py): another peer's is 404.
        access.resolve_in_caseload(
            "alert_id",
            argument="alert",
            rows=lambda: Alert.objects.select_related(
                "participant", "response", "acknowledged_by", "resolved_by"
            ),
        )
        access.resolve_in_caseload(
            "commitment_id",
            argument="commitment",
            rows=lambda: Commitment.objects.select_related("agency", "participant", "staff__user"),
        )
        access.resolve_in_caseload(
            "response_id",
            argument="checkin_response",
            rows=lambda: CheckInResponse.objects.select_related("instrument", "participant"),
        )
