"""Staff pages for check-ins and alerts, mounted under /a/<agency_slug>/ (agencies/urls.py)."""

from django.urls import include, path

from . import views

one = "participants/<int:participant_id>/checkins/"

urlpatterns = [
    path(one + "link/", views.checkin_link_create, name="checkin_link_create"),
    path(one + "kiosk/", views.checkin_kiosk_start, name="checkin_kiosk_start"),
    path(one + "paper/", views.checkin_paper_enter, name="checkin_paper_enter"),
    path(
        one + "<int:request_id>/revoke/",
        views.checkin_request_revoke,
        name="checkin_request_revoke",
    ),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("", include("alliance.report_urls")),
    path("", include("alliance.commitment_urls")),
    path("", include("alliance.goal_urls")),
]
