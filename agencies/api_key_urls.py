"""API key pages of one agency (admins), under /a/<agency_slug>/api-keys/."""

from django.urls import path

from .api import pages

urlpatterns = [
    path("", pages.api_key_list, name="api_key_list"),
    path("<int:key_id>/revoke/", pages.api_key_revoke_view, name="api_key_revoke"),
]
