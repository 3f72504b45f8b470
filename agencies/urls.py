"""The agency's own pages (settings, staff, API keys), mounted under /a/<agency_slug>/ by
config/urls.py. Every route is declared with agency_path (who may use it: agencies/access.py)
and walked by tests/test_cross_agency_routes.py and tests/test_route_access.py."""

from django.urls import include, path

from agencies import views
from agencies.access import ADMINS, EVERY_ROLE, agency_path

urlpatterns = [
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
    agency_path(
        "me/introduction/", views.introduction_edit, name="introduction_edit", roles=EVERY_ROLE
    ),
    agency_path("me/profile/", views.profile_edit, name="profile_edit", roles=EVERY_ROLE),
    path("api-keys/", include("agencies.api_key_urls")),
]
