"""Staff pages for a participant's goals. The participant comes from the route
(alliance/goals/urls.py, agencies/access.py), found through the caseload rule, and each goal and
step is looked up through that participant, so a peer asking about someone outside their
caseload, or anyone about another agency's goal, gets 404. Changes are POSTs through
alliance/goals/services.py."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.goals import services as goals
from alliance.goals.forms import GoalForm, StepForm, StepToggleForm
from alliance.goals.models import GoalStatus, RecoveryGoal


def _goal(participant, goal_id: int) -> RecoveryGoal:
    return get_object_or_404(participant.goals, pk=goal_id)


def _to_list(request, participant):
    return redirect("goal_list", agency_slug=request.agency.slug, participant_id=participant.pk)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_GET
def goal_list(request, agency_slug, participant):
    return render(
        request,
        "goals/goal_list.html",
        {
            "participant": participant,
            "goals": goals.goals_of(participant),
        },
    )


@require_http_methods(["GET", "POST"])
def goal_create(request, agency_slug, participant):
    form = GoalForm(
        request.POST or None, initial={"status": GoalStatus.ACTIVE}, today=request.agency.today()
    )
    if request.method == "POST" and form.is_valid():
        goals.goal_create(participant=participant, created_by=request.user, **form.cleaned_data)
        messages.success(request, _("Goal saved. Ask them to agree to it through their link."))
        return _to_list(request, participant)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "participant": participant, "creating": True},
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
def goal_edit(request, agency_slug, participant, goal_id):
    goal = _goal(participant, goal_id)
    form = GoalForm(
        request.POST or None, initial=GoalForm.initial_for(goal), today=request.agency.today()
    )
    if request.method == "POST" and form.is_valid():
        was_agreed = not goal.needs_agreement
        goal = goals.goal_update(goal=goal, changed_by=request.user, **form.cleaned_data)
        if was_agreed and goal.needs_agreement:
            messages.info(
                request,
                _("Saved. The words changed, so they will be asked to agree to the goal again."),
            )
        else:
            messages.success(request, _("Saved."))
        return _to_list(request, participant)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "participant": participant, "goal": goal},
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
def goal_step_add(request, agency_slug, participant, goal_id):
    goal = _goal(participant, goal_id)
    form = StepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        goals.goal_step_add(goal=goal, text=form.cleaned_data["text"], added_by=request.user)
        messages.success(request, _("Step added."))
        return _to_list(request, participant)
    return render(
        request,
        "goals/step_form.html",
        {"form": form, "participant": participant, "goal": goal},
        status=_status(form),
    )


@require_POST
def goal_step_toggle(request, agency_slug, participant, goal_id, step_id):
    goal = _goal(participant, goal_id)
    step = get_object_or_404(goal.steps.select_related("goal"), pk=step_id)
    form = StepToggleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed. Please try again."))
        return _to_list(request, participant)
    goals.goal_step_toggle(step=step, done=form.cleaned_data["done"], by=request.user)
    return _to_list(request, participant)
