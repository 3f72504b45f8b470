"""Staff pages for commitments, the outbox, notifications and reminder preferences, and the
participant's one-tap follow-through link. The participant and the commitment of a staff page
come from its route (alliance/commitments/urls.py, agencies/access.py), found through the
caseload rule."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agencies.submissions import stores_once
from agencies.tenancy import agency_scope, find_by_token
from alliance.commitments import services as service
from alliance.commitments.forms import CheckInScheduleForm, CommitmentForm, RenegotiateForm
from alliance.commitments.models import CheckInSchedule, Commitment, CommitmentStatus
from alliance.commitments.selectors import consistency_for
from alliance.commitments.services import checkin_schedule_set
from participants.models import CulturalProfile, ProposedBy


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
            made_at=form.cleaned_data["made_at"],
            already=form.cleaned_data["already"],
        )
        if form.cleaned_data["already"]:
            messages.success(request, _("Commitment recorded, with what became of it."))
        else:
            messages.success(request, _("Commitment recorded. Reminders are on their way."))
        return redirect(
            "participant_commitments",
            agency_slug=request.agency.slug,
            participant_id=participant.pk,
        )
    schedule = CheckInSchedule.objects.filter(participant=participant, is_active=True).first()
    return render(
        request,
        "commitments/commitments.html",
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
            service.commitment_close(commitment=commitment, outcome=outcome, by=request.user)
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
        "commitments/commitment_renegotiate.html",
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
        return render(request, "commitments/follow_through.html", {"unusable": True}, status=410)
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
                return render(request, "commitments/follow_through.html", {"answered": True})
            return render(request, "commitments/follow_through.html", {"commitment": commitment})
