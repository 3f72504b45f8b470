"""/api/: the schema, Swagger UI and version 1 of the REST API. Every route under v1/ is a
subclass of agencies.api.viewsets.AgencyScopedViewSet, and tests/test_api_cross_agency.py walks
them all (it fails for a route whose ids it cannot build)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from agencies.api.docs import SchemaView, SwaggerView
from alliance.checkins.api import (
    AlertViewSet,
    CheckInRequestViewSet,
    CheckInResponseViewSet,
    InstrumentViewSet,
)
from alliance.commitments.api import CommitmentViewSet
from alliance.goals.api import GoalStepViewSet, GoalViewSet
from participants.api import ContactViewSet, ParticipantViewSet

router = SimpleRouter(use_regex_path=False)
router.register("participants", ParticipantViewSet, basename="api-participant")
router.register("checkin-requests", CheckInRequestViewSet, basename="api-checkinrequest")
router.register("checkin-responses", CheckInResponseViewSet, basename="api-checkinresponse")
router.register("instruments", InstrumentViewSet, basename="api-instrument")
router.register("alerts", AlertViewSet, basename="api-alert")
router.register("commitments", CommitmentViewSet, basename="api-commitment")
router.register("goals", GoalViewSet, basename="api-goal")

v1 = [
    *router.urls,
    path(
        "participants/<int:participant_pk>/contacts/",
        ContactViewSet.as_view({"get": "list", "post": "create"}),
        name="api-contact-list",
    ),
    path(
        "goals/<int:goal_pk>/steps/",
        GoalStepViewSet.as_view({"get": "list", "post": "create"}),
        name="api-goalstep-list",
    ),
    path(
        "goals/<int:goal_pk>/steps/<int:pk>/",
        GoalStepViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-goalstep-detail",
    ),
]

urlpatterns = [
    # The schema describes v1 only (not itself or the docs page).
    path("schema/", SchemaView.as_view(patterns=[path("api/v1/", include(v1))]), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(v1)),
]
