"""Staff pages for goals, mounted under /a/<agency_slug>/ (config/urls.py). The
participant comes from the caseload rule (agencies/access.py); goals and steps are looked up
through that participant."""

from agencies.access import EVERY_ROLE, agency_path
from alliance.goals import views as goal_views

one = "participants/<int:participant_id>/goals/"
goal = one + "<int:goal_id>/"

urlpatterns = [
    agency_path(one, goal_views.goal_list, name="goal_list", roles=EVERY_ROLE, viewed="goals"),
    agency_path(one + "new/", goal_views.goal_create, name="goal_create", roles=EVERY_ROLE),
    agency_path(
        goal + "edit/", goal_views.goal_edit, name="goal_edit", roles=EVERY_ROLE, viewed="goal"
    ),
    agency_path(goal + "steps/", goal_views.goal_step_add, name="goal_step_add", roles=EVERY_ROLE),
    agency_path(
        goal + "steps/<int:step_id>/toggle/",
        goal_views.goal_step_toggle,
        name="goal_step_toggle",
        roles=EVERY_ROLE,
    ),
]
