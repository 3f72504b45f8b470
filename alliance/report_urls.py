"""Trends, the supervisor dashboard and exports, mounted under /a/<agency_slug>/."""

urlpatterns: list = []
