"""Check-in routes: staff pages under /a/<agency_slug>/ and the participant's link under /c/
(config/urls.py mounts both). Each staff route says who may use it (agencies/access.py);
`participant_id`, `alert_id` and `response_id` reach the view as objects found through the
caseload rule."""

from django.urls import path

from agencies.access import EVERY_ROLE, SUPERVISORS, agency_path
from alliance.checkins import views

one = "participants/<int:participant_id>/checkins/"

urlpatterns = [
    agency_path(
        one + "link/", views.checkin_link_create, name="checkin_link_create", roles=EVERY_ROLE
    ),
    agency_path(one + "send/", views.checkin_link_send, name="checkin_link_send", roles=EVERY_ROLE),
    agency_path(
        one + "kiosk/", views.checkin_kiosk_start, name="checkin_kiosk_start", roles=EVERY_ROLE
    ),
    agency_path(
        one + "paper/", views.checkin_paper_enter, name="checkin_paper_enter", roles=EVERY_ROLE
    ),
    agency_path(
        one + "<int:request_id>/revoke/",
        views.checkin_request_revoke,
        name="checkin_request_revoke",
        roles=EVERY_ROLE,
    ),
    agency_path("alerts/", views.alert_list, name="alert_list", roles=EVERY_ROLE),
    agency_path(
        "alerts/<int:alert_id>/",
        views.alert_detail,
        name="alert_detail",
        roles=EVERY_ROLE,
        viewed="alert",
    ),
    agency_path(
        "alerts/<int:alert_id>/triage/",
        views.alert_triage,
        name="alert_triage",
        roles=EVERY_ROLE,
    ),
    agency_path(
        "alerts/<int:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
        roles=EVERY_ROLE,
    ),
    agency_path(
        "alerts/<int:alert_id>/resolve/",
        views.alert_resolve,
        name="alert_resolve",
        roles=EVERY_ROLE,
    ),
    # Trends, the supervisor dashboard and exports.
    agency_path(
        one,
        views.participant_checkins,
        name="participant_checkins",
        roles=EVERY_ROLE,
        viewed="checkins",
    ),
    agency_path(
        "dashboard/", views.alliance_dashboard, name="alliance_dashboard", roles=SUPERVISORS
    ),
    agency_path(
        "exports/responses.csv", views.responses_csv, name="responses_csv", roles=SUPERVISORS
    ),
    agency_path(
        "checkins/responses/<int:response_id>/fhir.json",
        views.response_fhir,
        name="response_fhir",
        roles=EVERY_ROLE,
        viewed="fhir",
    ),
]

# Under /c/: no login, the link's token is the credential.
public_urlpatterns = [
    path("done/", views.checkin_kiosk_done, name="checkin_kiosk_done"),
    path("<str:token>/", views.checkin, name="checkin"),
    path("<str:token>/choice/", views.checkin_repair_choice, name="checkin_repair_choice"),
]
