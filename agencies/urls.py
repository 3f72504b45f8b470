"""Pages of one agency, mounted under /a/<agency_slug>/ (see config/urls.py). Every route here
is covered by tests/test_cross_agency_routes.py, which fails for a route it cannot check."""

from django.urls import include, path

from alliance import home_views as alliance_home

from . import views

urlpatterns = [
    # The home page shows alliance figures, so the alliance app renders it.
    path("", alliance_home.agency_home, name="agency_home"),
    path("settings/", views.agency_settings, name="agency_settings"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:membership_id>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path(
        "staff/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("api-keys/", include("agencies.api_key_urls")),
    path("", include("participants.urls")),
    path("", include("alliance.urls")),
]
