"""The participant portal, mounted under /p/ (no login: the link's token is the credential)."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("<str:token>/", portal_views.portal_home, name="portal_home"),
    path("<str:token>/profile/", portal_views.portal_profile, name="portal_profile"),
    path("<str:token>/preferences/", portal_views.portal_preferences, name="portal_preferences"),
    path(
        "<str:token>/boundaries/acknowledge/",
        portal_views.portal_boundaries_acknowledge,
        name="portal_boundaries_acknowledge",
    ),
    path(
        "<str:token>/goals/<int:goal_id>/agree/",
        portal_views.portal_goal_agree,
        name="portal_goal_agree",
    ),
    path(
        "<str:token>/goals/<int:goal_id>/edit/",
        portal_views.portal_goal_edit,
        name="portal_goal_edit",
    ),
    path(
        "<str:token>/goals/<int:goal_id>/steps/<int:step_id>/toggle/",
        portal_views.portal_goal_step_toggle,
        name="portal_goal_step_toggle",
    ),
    path("<str:token>/export.json", portal_views.portal_export_json, name="portal_export_json"),
    path("<str:token>/export.csv", portal_views.portal_export_csv, name="portal_export_csv"),
]
