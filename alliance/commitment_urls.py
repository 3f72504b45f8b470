"""Commitments, check-in schedules, outbox, notifications and reminder preferences; mounted
under /a/<agency_slug>/ by alliance/urls.py. Each route says who may use it
(agencies/access.py); `participant_id` and `commitment_id` reach the view as objects found
through the caseload rule."""

from agencies.access import EVERY_ROLE, agency_path

from . import commitment_views as views

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
    agency_path("outbox/", views.outbox, name="outbox", roles=EVERY_ROLE),
    agency_path("notifications/", views.notifications, name="notifications", roles=EVERY_ROLE),
    agency_path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
        roles=EVERY_ROLE,
    ),
    agency_path(
        "preferences/reminders/",
        views.reminder_preference,
        name="reminder_preference",
        roles=EVERY_ROLE,
    ),
]
