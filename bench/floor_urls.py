from django.urls import path

from .floor_app import floor_checkin

urlpatterns = [path("floor/<str:token>/", floor_checkin)]
