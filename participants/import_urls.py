"""CSV import of participants, mounted under /a/<agency_slug>/participants/import/."""

from django.urls import path

from . import import_views

one = "<int:import_id>/"

urlpatterns = [
    path("", import_views.upload, name="participant_import_upload"),
    path(one, import_views.progress, name="participant_import_progress"),
    path(one + "mapping/", import_views.mapping, name="participant_import_mapping"),
    path(one + "preview/", import_views.preview, name="participant_import_preview"),
    path(one + "run/", import_views.run, name="participant_import_run"),
]
