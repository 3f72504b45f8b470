"""Trends, the supervisor dashboard and exports, mounted under /a/<agency_slug>/."""

from django.urls import path

from . import report_views

urlpatterns = [
    path(
        "participants/<int:participant_id>/checkins/",
        report_views.participant_checkins,
        name="participant_checkins",
    ),
    path("dashboard/", report_views.alliance_dashboard, name="alliance_dashboard"),
    path("exports/responses.csv", report_views.responses_csv, name="responses_csv"),
    path(
        "checkins/responses/<int:response_id>/fhir.json",
        report_views.response_fhir,
        name="response_fhir",
    ),
]
