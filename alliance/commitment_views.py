"""Staff pages for commitments, the outbox, notifications and reminder preferences, and the
participant's one-tap follow-through link. The participant and the commitment of a staff page
come from its route (alliance/commitment_urls.py, agencies/access.py), found through the
caseload rule."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import in_caseload
from agencies.submissions import stores_once
from agencies.tenancy import agency_scope, find_by_token
from participants.models import CulturalProfile

from . import commitments as service
from .commitment_forms import CheckInScheduleForm, CommitmentForm, RenegotiateForm
from .consistency import consistency_for
from .models import (
    CheckInSchedule,
    Commitment,
    CommitmentStatus,
    Delivery,
    DeliveryStatus,
    Notification,
    ProposedBy,
    ReminderPreference,
    StaffPreference,
)
from .schedules import checkin_schedule_set


@require_http_methods(["GET", "POST"])
@stores_once
def participant_commitments(request, agency_slug, participant):
    form = CommitmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff = request.membership if form.cleaned_data["promised_by"] == ProposedBy.STAFF else None
        service.commitment_create(
            participant=participant,
            promised_by=form.cleaned_data["promised_by"],
            staff=staff,
            what=form.cleaned_data["what"],
            due_at=form.cleaned_data["due_at"],
            created_by=request.user,
            request=request,
        )
        messages.success(request, _("Commitment recorded. Reminders are on their way."))
        return redirect(
            "participant_commitments",
            agency_slug=request.agency.slug,
            participant_id=participant.pk,
        )
    schedule = CheckInSchedule.objects.filter(participant=participant, is_active=True).first()
    return render(
        request,
        "alliance/commitments.html",
        {
            "participant": participant,
            "form": form,
            "commitments": Commitment.objects.filter(participant=participant)
            .select_related("staff__user")
            .prefetch_related("events")
            .order_by("-due_at")[:100],
            "figures": consistency_for(participant=participant),
            "schedule": schedule,
            "schedule_form": CheckInScheduleForm(
                initial={
                    "every_weeks": schedule.every_weeks if schedule else None,
                    "weekday": schedule.weekday if schedule else 0,
                    "local_time": schedule.local_time if schedule else "10:00",
                }
            ),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def commitment_close(request, agency_slug, commitment):
    outcome = request.POST.get("outcome")
    if outcome not in (CommitmentStatus.KEPT, CommitmentStatus.MISSED, CommitmentStatus.CANCELLED):
        messages.error(request, _("Choose kept, missed or cancelled."))
    else:
        try:
            service.commitment_close(
                commitment=commitment, outcome=outcome, by=request.user, request=request
            )
        except service.CommitmentClosed:
            messages.info(request, _("This commitment was already closed."))
    return redirect(
        "participant_commitments",
        agency_slug=request.agency.slug,
        participant_id=commitment.participant_id,
    )


@require_http_methods(["GET", "POST"])
@stores_once
def commitment_renegotiate(request, agency_slug, commitment):
    form = RenegotiateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.commitment_renegotiate(
                commitment=commitment,
                new_due_at=form.cleaned_data["new_due_at"],
                reason=form.cleaned_data["reason"],
                asked_by=form.cleaned_data["asked_by"],
                by=request.user,
                request=request,
            )
        except service.CommitmentClosed:
            messages.info(request, _("This commitment was already closed."))
        return redirect(
            "participant_commitments",
            agency_slug=request.agency.slug,
            participant_id=commitment.participant_id,
        )
    return render(
        request,
        "alliance/commitment_renegotiate.html",
        {"commitment": commitment, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def checkin_schedule(request, agency_slug, participant):
    form = CheckInScheduleForm(request.POST)
    if form.is_valid():
        checkin_schedule_set(
            participant=participant,
            every_weeks=form.cleaned_data["every_weeks"],
            weekday=form.cleaned_data["weekday"],
            local_time=form.cleaned_data["local_time"],
        )
        messages.success(request, _("Check-in schedule saved."))
    else:
        messages.error(
            request,
            _("The schedule was not saved: %(errors)s")
            % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
    return redirect(
        "participant_commitments", agency_slug=request.agency.slug, participant_id=participant.pk
    )


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
        "alliance/outbox.html",
        {"page": page, "status": status, "statuses": DeliveryStatus.choices},
    )


def notifications(request, agency_slug):
    rows = Notification.objects.filter(membership=request.membership).order_by("-created_at")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "alliance/notifications.html", {"page": page})


@require_POST
def notification_read(request, agency_slug, notification_id):
    notification = get_object_or_404(
        Notification, pk=notification_id, membership=request.membership
    )
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
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
            StaffPreference.objects.update_or_create(
                agency=request.agency, membership=request.membership, defaults={"reminders": choice}
            )
            messages.success(request, _("Preference saved."))
            return redirect("reminder_preference", agency_slug=request.agency.slug)
        messages.error(request, _("Choose one of the options."))
    return render(
        request,
        "alliance/reminder_preference.html",
        {"current": current, "choices": ReminderPreference.choices},
        status=400 if request.method == "POST" else 200,
    )


# The participant's one-tap question (no login; the token is the credential) -----------------


@never_cache
@require_http_methods(["GET", "POST"])
def follow_through(request, token):
    commitment = (
        find_by_token(
            Commitment,
            token,
            field="followup_token_hash",
            shape=lambda rows: rows.select_related("participant", "staff__user", "agency"),
        )
        if token
        else None
    )
    usable = (
        commitment is not None
        and commitment.participant_answered_at is None
        and (commitment.due_at + service.FOLLOW_THROUGH_VALID > timezone.now())
    )
    if not usable:
        return render(request, "alliance/follow_through.html", {"unusable": True}, status=410)
    with agency_scope(commitment.agency_id):
        language = (
            CulturalProfile.objects.filter(participant=commitment.participant)
            .values_list("language", flat=True)
            .first()
            or commitment.agency.default_language
        )
        with translation.override(language):
            if request.method == "POST" and request.POST.get("answer") in ("yes", "no"):
                service.commitment_participant_answer(
                    commitment=commitment, kept=request.POST["answer"] == "yes"
                )
                return render(request, "alliance/follow_through.html", {"answered": True})
            return render(request, "alliance/follow_through.html", {"commitment": commitment})
