"""Portal routes: the staff's actions on a participant's portal link under /a/<agency_slug>/,
and the participant's pages under /p/ (no login: the link's token is the credential).
config/urls.py mounts both. Each staff route says who may use it (agencies/access.py)."""

from django.urls import path

from agencies.access import EVERY_ROLE, agency_path
from alliance.portal import views as portal_views

one = "participants/<int:participant_id>/"

urlpatterns = [
    agency_path(
        one + "portal-link/",
        portal_views.portal_link_create,
        name="portal_link_create",
        roles=EVERY_ROLE,
    ),
    agency_path(
        one + "portal-link/revoke/",
        portal_views.portal_link_revoke,
        name="portal_link_revoke",
        roles=EVERY_ROLE,
    ),
    agency_path(
        one + "portal-link/send/",
        portal_views.portal_link_send,
        name="portal_link_send",
        roles=EVERY_ROLE,
    ),
]

public_urlpatterns = [
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
