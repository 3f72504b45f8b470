"""Staff pages about messages: the outbox, in-app notifications, reminder preference."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import in_caseload
from alliance.messaging import services
from alliance.messaging.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    ReminderPreference,
    StaffPreference,
)
from alliance.messaging.sentences import notification_line


def outbox(request, agency_slug):
    """What Rapport has sent or will send, and what failed. Peers see their own messages and
    those to their caseload; supervisors and admins see everything."""
    rows = Delivery.objects.select_related("participant", "membership__user").order_by(
        "-due_at", "-id"
    )
    if not request.membership.sees_whole_agency:
        rows = in_caseload(rows, request.membership, "participant") | rows.filter(
            membership=request.membership
        )
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/outbox.html",
        {"page": page, "status": status, "statuses": DeliveryStatus.choices},
    )


def notifications(request, agency_slug):
    rows = (
        Notification.objects.filter(membership=request.membership)
        .annotate(kind=F("delivery__kind"))
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    lines = [notification_line(row, kind=row.kind) for row in page]
    return render(request, "messaging/notifications.html", {"page": page, "lines": lines})


@require_POST
def notification_read(request, agency_slug, notification_id):
    notification = get_object_or_404(
        Notification, pk=notification_id, membership=request.membership
    )
    services.notification_mark_read(notification=notification)
    return redirect("notifications", agency_slug=request.agency.slug)


@require_http_methods(["GET", "POST"])
def reminder_preference(request, agency_slug):
    current = (
        StaffPreference.objects.filter(membership=request.membership)
        .values_list("reminders", flat=True)
        .first()
        or ReminderPreference.IMMEDIATE
    )
    if request.method == "POST":
        choice = request.POST.get("reminders")
        if choice in ReminderPreference.values:
            services.staff_reminders_set(membership=request.membership, reminders=choice)
            messages.success(request, _("Preference saved."))
            return redirect("reminder_preference", agency_slug=request.agency.slug)
        messages.error(request, _("Choose one of the options."))
    return render(
        request,
        "messaging/reminder_preference.html",
        {"current": current, "choices": ReminderPreference.choices},
        status=400 if request.method == "POST" else 200,
    )
