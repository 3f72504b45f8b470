from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "alliance.checkins"
    label = "checkins"
    verbose_name = "Check-ins and reports"

    def ready(self):
        from agencies import access
        from agencies.signals import agency_created
        from alliance.checkins import (
            messages,  # noqa: F401 (its texts register with messaging)
            services,
            text_checkins,  # noqa: F401 (check-in by text reply registers with messaging)
        )
        from alliance.checkins.models import Alert, CheckInResponse

        agency_created.connect(services.instrument_install_for_new_agency, dispatch_uid="checkins")
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
            "response_id",
            argument="checkin_response",
            rows=lambda: CheckInResponse.objects.select_related("instrument", "participant"),
        )
