"""Staff pages about messages, under /a/<agency_slug>/ (config/urls.py). Each route says who
may use it (agencies/access.py); a notification is its recipient's alone (the view looks it up
among the member's own)."""

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
