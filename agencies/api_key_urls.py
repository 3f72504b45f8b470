"""API key pages of one agency (admins), under /a/<agency_slug>/api-keys/."""

from agencies.access import ADMINS, agency_path
from agencies.api import pages

urlpatterns = [
    agency_path("", pages.api_key_list, name="api_key_list", roles=ADMINS),
    agency_path(
        "<int:key_id>/revoke/", pages.api_key_revoke_view, name="api_key_revoke", roles=ADMINS
    ),
]
