"""Staff pages for check-in links and alerts. The participant and the alert come from the route
(alliance/urls.py, agencies/access.py), found through the caseload rule, so alerts and links of
someone a member may not see are 404; a check-in request is looked up through its
participant."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import in_caseload
from agencies.submissions import stores_once

from . import services
from .forms import AlertResolveForm, CheckInForm
from .models import Alert, AlertStatus, Channel, CheckInResponse, InstrumentItem
from .repair import suggestions_for
from .selectors import instrument_items

ALERTS_PAGE_SIZE = 25


def _link(token: str) -> str:
    return settings.SITE_URL + reverse("checkin", args=[token])


@require_POST
def checkin_link_create(request, agency_slug, participant):
    """A link for staff to copy and pass on. Shown once; only its hash is kept."""
    checkin, raw_token = services.checkin_request_create(
        participant=participant, channel=Channel.LINK, created_by=request.user, request=request
    )
    return render(
        request,
        "alliance/checkin_link_created.html",
        {
            "participant": participant,
            "checkin": checkin,
            "url": _link(raw_token),
        },
    )


@require_POST
def checkin_kiosk_start(request, agency_slug, participant):
    """Hand the tablet over: a short-lived link opened right here, locked to the check-in. The
    staff session in this browser ends first: the tablet is the participant's now, and no
    staff page opens on it again without signing in (the button says so)."""
    _checkin, raw_token = services.checkin_request_create(
        participant=participant,
        channel=Channel.KIOSK,
        created_by=request.user,
        expires_in=timedelta(hours=1),
        request=request,
    )
    logout(request)
    return redirect("checkin", token=raw_token)


@require_POST
def checkin_request_revoke(request, agency_slug, participant, request_id):
    checkin = get_object_or_404(participant.checkin_requests, pk=request_id)
    if services.checkin_request_revoke(checkin=checkin, revoked_by=request.user, request=request):
        messages.success(request, _("Link revoked."))
    return redirect(
        "participant_detail", agency_slug=request.agency.slug, participant_id=participant.pk
    )


@require_http_methods(["GET", "POST"])
@stores_once
def checkin_paper_enter(request, agency_slug, participant):
    """Enter a check-in the participant filled in on paper (stored as channel 'paper')."""
    instrument = services.instrument_default()
    items = instrument_items(agency_id=request.agency.pk, instrument_id=instrument.pk)
    form = CheckInForm(
        request.POST if request.method == "POST" else None,
        items=items,
        language=request.LANGUAGE_CODE,
    )
    if request.method == "POST" and form.is_valid():
        previous = (
            CheckInResponse.objects.filter(participant=participant)
            .order_by("-submitted_at")
            .values_list("percent", flat=True)
            .first()
        )
        services.paper_checkin_enter(
            participant=participant,
            items=items,
            instrument=instrument,
            answers=form.answers(),
            entered_by=request.user,
            previous_percent=previous,
            request=request,
        )
        messages.success(request, _("Paper check-in saved."))
        return redirect(
            "participant_detail", agency_slug=request.agency.slug, participant_id=participant.pk
        )
    return render(
        request,
        "alliance/paper_checkin.html",
        {"participant": participant, "form": form},
        status=400 if form.errors else 200,
    )


# Alerts ------------------------------------------------------------------------------------


def alert_list(request, agency_slug):
    show = request.GET.get("show", "open")
    alerts = in_caseload(Alert.objects.all(), request.membership, "participant").select_related(
        "participant", "response", "participant__assigned_peer__user"
    )
    if show != "all":
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    page = Paginator(alerts, ALERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "alliance/alert_list.html", {"page": page, "show": show})


def alert_detail(request, agency_slug, alert):
    free_text = []
    if alert.response:
        items = InstrumentItem.objects.filter(
            instrument_id=alert.response.instrument_id, kind="text"
        )
        free_text = [
            (item.in_language("text", request.LANGUAGE_CODE), alert.response.answers[str(item.pk)])
            for item in items
            if str(item.pk) in alert.response.answers
        ]
    return render(
        request,
        "alliance/alert_detail.html",
        {
            "alert": alert,
            "suggestions": suggestions_for(alert.practices),
            "free_text": free_text,
            "resolve_form": AlertResolveForm(),
        },
    )


@require_POST
def alert_acknowledge(request, agency_slug, alert):
    services.alert_acknowledge(alert=alert, by=request.user, request=request)
    return redirect("alert_detail", agency_slug=request.agency.slug, alert_id=alert.pk)


@require_POST
def alert_resolve(request, agency_slug, alert):
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "alliance/alert_detail.html",
            {
                "alert": alert,
                "suggestions": suggestions_for(alert.practices),
                "resolve_form": form,
            },
            status=400,
        )
    services.alert_resolve(
        alert=alert, by=request.user, note=form.cleaned_data["note"], request=request
    )
    messages.success(request, _("Alert resolved."))
    return redirect("alert_detail", agency_slug=request.agency.slug, alert_id=alert.pk)
