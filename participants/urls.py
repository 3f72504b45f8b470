"""Participant pages, mounted under /a/<agency_slug>/ (see agencies/urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("participants/import/", include("participants.import_urls")),
]
