"""Staff pages about messages: the outbox, in-app notifications, reminder preference."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import in_caseload
from agencies.models import Agency
from agencies.tenancy import agency_scope
from alliance.messaging import services, sms
from alliance.messaging.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    ReminderPreference,
    StaffPreference,
)
from alliance.messaging.providers import provider
from alliance.messaging.sentences import notification_line

log = logging.getLogger(__name__)


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


# Webhooks of the SMS provider (public, signed) ------------------------------------------------


def _signed_webhook(request, slug):
    """(agency, provider, params) of a genuine webhook, or None. The signature is checked
    against the address the provider was given (SITE_URL + path), with the agency's secret."""
    agency = Agency.objects.filter(slug=slug, is_active=True).first()
    if agency is None:
        return None
    params = {key: request.POST.get(key) for key in request.POST}
    url = settings.SITE_URL + request.get_full_path()
    with agency_scope(agency):
        sender = sms.sms_sender_config(agency.pk)
    sms_provider = provider(sender.provider)
    if not sms_provider.signature_valid(
        sender=sender, url=url, params=params, headers=request.headers
    ):
        log.warning("SMS webhook with a bad signature refused (agency %s)", agency.pk)
        return None
    return agency, sms_provider, params


@csrf_exempt
@require_POST
def sms_inbound(request, slug):
    """A text from a participant's phone (the provider's 'a message comes in' webhook)."""
    signed = _signed_webhook(request, slug)
    if signed is None:
        return HttpResponseForbidden()
    agency, sms_provider, params = signed
    inbound = sms_provider.inbound(params)
    if inbound is None:
        return HttpResponseBadRequest()
    with agency_scope(agency):
        profile_language = agency.default_language
        with translation.override(profile_language):
            handled = sms.text_received(agency=agency, inbound=inbound)
    content, content_type = sms_provider.reply_document(handled.direct_reply)
    return HttpResponse(content, content_type=content_type)


@csrf_exempt
@require_POST
def sms_status(request, slug):
    """The provider's delivery report for a text Rapport sent."""
    signed = _signed_webhook(request, slug)
    if signed is None:
        return HttpResponseForbidden()
    agency, sms_provider, params = signed
    report = sms_provider.report(params)
    if report is None:
        return HttpResponseBadRequest()
    with agency_scope(agency):
        sms.delivery_report_record(report=report)
    return HttpResponse(status=204)
