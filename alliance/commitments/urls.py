"""Commitment and check-in schedule routes: staff pages under /a/<agency_slug>/ and the
participant's follow-through question under /f/ (config/urls.py mounts both). Each staff route
says who may use it (agencies/access.py); `participant_id` and `commitment_id` reach the view
as objects found through the caseload rule."""

from django.urls import path

from agencies.access import EVERY_ROLE, agency_path
from alliance.commitments import views

urlpatterns = [
    agency_path(
        "participants/<int:participant_id>/commitments/",
        views.participant_commitments,
        name="participant_commitments",
        roles=EVERY_ROLE,
        viewed="commitments",
    ),
    agency_path(
        "participants/<int:participant_id>/checkin-schedule/",
        views.checkin_schedule,
        name="checkin_schedule",
        roles=EVERY_ROLE,
    ),
    agency_path(
        "commitments/<int:commitment_id>/close/",
        views.commitment_close,
        name="commitment_close",
        roles=EVERY_ROLE,
    ),
    agency_path(
        "commitments/<int:commitment_id>/renegotiate/",
        views.commitment_renegotiate,
        name="commitment_renegotiate",
        roles=EVERY_ROLE,
    ),
]

# Under /f/: no login, the link's token is the credential.
public_urlpatterns = [
    path("<str:token>/", views.follow_through, name="follow_through"),
]
