"""The real URLconf plus the floor's route, for the benchmark server only."""

from django.urls import include, path

from agencies.access import EVERY_ROLE, agency_path
from config.urls import *  # noqa: F403
from config.urls import urlpatterns as real_urlpatterns

from .floor_app import floor_checkin, floor_page

urlpatterns = [
    path("floor/<str:token>/", floor_checkin),
    path(
        "a/<slug:agency_slug>/",
        include(
            [
                agency_path(
                    "bench-floor/<str:which>/",
                    floor_page,
                    name="bench_floor_page",
                    roles=EVERY_ROLE,
                )
            ]
        ),
    ),
    *real_urlpatterns,
]
