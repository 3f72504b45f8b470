"""Staff pages for goals, mounted under /a/<agency_slug>/ through alliance/urls.py."""

from django.urls import path

from . import goal_views

one = "participants/<int:participant_id>/goals/"
goal = one + "<int:goal_id>/"

urlpatterns = [
    path(one, goal_views.goal_list, name="goal_list"),
    path(one + "new/", goal_views.goal_create, name="goal_create"),
    path(goal + "edit/", goal_views.goal_edit, name="goal_edit"),
    path(goal + "steps/", goal_views.goal_step_add, name="goal_step_add"),
    path(
        goal + "steps/<int:step_id>/toggle/",
        goal_views.goal_step_toggle,
        name="goal_step_toggle",
    ),
]
