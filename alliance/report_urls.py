"""Trends, the supervisor dashboard and exports, mounted under /a/<agency_slug>/. Each route says
who may use it (agencies/access.py)."""

from agencies.access import EVERY_ROLE, SUPERVISORS, agency_path

from . import report_views

urlpatterns = [
    agency_path(
        "participants/<int:participant_id>/checkins/",
        report_views.participant_checkins,
        name="participant_checkins",
        roles=EVERY_ROLE,
        viewed="checkins",
    ),
    agency_path(
        "dashboard/", report_views.alliance_dashboard, name="alliance_dashboard", roles=SUPERVISORS
    ),
    agency_path(
        "exports/responses.csv", report_views.responses_csv, name="responses_csv", roles=SUPERVISORS
    ),
    agency_path(
        "checkins/responses/<int:response_id>/fhir.json",
        report_views.response_fhir,
        name="response_fhir",
        roles=EVERY_ROLE,
        viewed="fhir",
    ),
]
