"""Commitments, check-in schedules, outbox, notifications and reminder preferences; mounted
under /a/<agency_slug>/ by alliance/urls.py."""

from django.urls import path

from . import commitment_views as views

urlpatterns = [
    path(
        "participants/<int:participant_id>/commitments/",
        views.participant_commitments,
        name="participant_commitments",
    ),
    path(
        "participants/<int:participant_id>/checkin-schedule/",
        views.checkin_schedule,
        name="checkin_schedule",
    ),
    path("commitments/<int:commitment_id>/close/", views.commitment_close, name="commitment_close"),
    path(
        "commitments/<int:commitment_id>/renegotiate/",
        views.commitment_renegotiate,
        name="commitment_renegotiate",
    ),
    path("outbox/", views.outbox, name="outbox"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
    path("preferences/reminders/", views.reminder_preference, name="reminder_preference"),
]
