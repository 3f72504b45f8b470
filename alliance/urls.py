"""Staff pages for check-ins and alerts, mounted under /a/<agency_slug>/ (agencies/urls.py).
Each route says who may use it (agencies/access.py); `participant_id` and `alert_id` reach the
view as the participant and the alert, found through the caseload rule."""

from django.urls import include, path

from agencies.access import EVERY_ROLE, agency_path

from . import views

one = "participants/<int:participant_id>/checkins/"

urlpatterns = [
    agency_path(
        one + "link/", views.checkin_link_create, name="checkin_link_create", roles=EVERY_ROLE
    ),
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
    path("", include("alliance.report_urls")),
    path("", include("alliance.commitment_urls")),
    path("", include("alliance.goal_urls")),
]
