"""Staff pages about messages, under /a/<agency_slug>/ (config/urls.py). Each route says who
may use it (agencies/access.py); a notification is its recipient's alone (the view looks it up
among the member's own)."""

from django.urls import path

from agencies.access import EVERY_ROLE, agency_path
from alliance.messaging import views

urlpatterns = [
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

# The SMS provider's webhooks, under /sms/ (config/urls.py): public, CSRF-exempt, and refused
# (403) unless signed with the agency's provider secret. The slug is not `agency_slug`: that
# would ask AgencyMiddleware for a signed-in member.
public_urlpatterns = [
    path("<slug:slug>/inbound/", views.sms_inbound, name="sms_inbound"),
    path("<slug:slug>/status/", views.sms_status, name="sms_status"),
]
