"""Check-in links, mounted under /c/ (no login: the token is the credential)."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("done/", public_views.checkin_kiosk_done, name="checkin_kiosk_done"),
    path("<str:token>/", public_views.checkin, name="checkin"),
    path("<str:token>/choice/", public_views.checkin_repair_choice, name="checkin_repair_choice"),
]
