"""Staff pages for check-ins and alerts, mounted under /a/<agency_slug>/ (agencies/urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("alliance.report_urls")),
]
