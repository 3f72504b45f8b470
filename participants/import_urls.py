"""CSV import of participants (supervisors and admins), mounted under
/a/<agency_slug>/participants/import/."""

from agencies.access import SUPERVISORS, agency_path
from participants import import_views

one = "<int:import_id>/"

urlpatterns = [
    agency_path("", import_views.upload, name="participant_import_upload", roles=SUPERVISORS),
    agency_path(one, import_views.progress, name="participant_import_progress", roles=SUPERVISORS),
    agency_path(
        one + "mapping/",
        import_views.mapping,
        name="participant_import_mapping",
        roles=SUPERVISORS,
    ),
    agency_path(
        one + "preview/",
        import_views.preview,
        name="participant_import_preview",
        roles=SUPERVISORS,
    ),
    agency_path(one + "run/", import_views.run, name="participant_import_run", roles=SUPERVISORS),
]
