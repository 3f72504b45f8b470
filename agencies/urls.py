"""Pages of one agency, mounted under /a/<agency_slug>/ (see config/urls.py). Every route here
is declared with agency_path (who may use it: agencies/access.py) and covered by
tests/test_cross_agency_routes.py and tests/test_route_access.py, which fail for a route they
cannot check."""

from django.urls import include, path

from alliance import home_views as alliance_home

from . import views
from .access import ADMINS, EVERY_ROLE, agency_path

urlpatterns = [
    # The home page shows alliance figures, so the alliance app renders it.
    agency_path("", alliance_home.agency_home, name="agency_home", roles=EVERY_ROLE),
    agency_path("settings/", views.agency_settings, name="agency_settings", roles=ADMINS),
    agency_path("staff/", views.staff_list, name="staff_list", roles=ADMINS),
    agency_path("staff/invite/", views.staff_invite, name="staff_invite", roles=ADMINS),
    agency_path("staff/<int:membership_id>/", views.staff_edit, name="staff_edit", roles=ADMINS),
    agency_path(
        "staff/<int:membership_id>/deactivate/",
        views.staff_deactivate,
        name="staff_deactivate",
        roles=ADMINS,
    ),
    agency_path(
        "staff/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
        roles=ADMINS,
    ),
    path("api-keys/", include("agencies.api_key_urls")),
    path("", include("participants.urls")),
    path("", include("alliance.urls")),
]
