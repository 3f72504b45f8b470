"""The real URLconf plus the floor's route, for the benchmark server only."""

from django.urls import path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as real_urlpatterns

from .floor_app import floor_checkin

urlpatterns = [path("floor/<str:token>/", floor_checkin), *real_urlpatterns]
