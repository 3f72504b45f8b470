"""Every API route under /api/v1/ answers 404 to another agency's key, for every method the
route takes, with agency A's ids. Generated from the URL configuration: a new API route is
checked automatically, and this test fails when the route takes an id it cannot build an object
for (add a builder to BUILDERS)."""

import re

import pytest
from django.urls import reverse

from tests.factories import (
    api_client,
    make_alert,
    make_api_key,
    make_checkin_request,
    make_checkin_response,
    make_commitment,
    make_goal,
    make_goal_step,
    make_participant,
)
from tests.routes import all_routes

API_PREFIX = "api/v1/"

# Resource (the literal path segments after api/v1/ up to the id, e.g. "goals" or "goals/steps")
# -> builder of one of its objects in an agency; a participant it makes joins `peer`'s caseload
# when one is given (tests/test_api_access.py).
BUILDERS = {
    "participants": lambda agency, peer=None: make_participant(agency, peer=peer),
    "checkin-requests": lambda agency, peer=None: make_checkin_request(
        make_participant(agency, peer=peer)
    )[0],
    "checkin-responses": lambda agency, peer=None: make_checkin_response(
        make_participant(agency, peer=peer)
    ),
    "instruments": lambda agency, peer=None: __import__(
        "alliance.checkins.services", fromlist=["x"]
    ).instrument_install_default(agency=agency),
    "alerts": lambda agency, peer=None: make_alert(make_participant(agency, peer=peer)),
    "commitments": lambda agency, peer=None: make_commitment(make_participant(agency, peer=peer)),
    "goals": lambda agency, peer=None: make_goal(make_participant(agency, peer=peer)),
    "goals/steps": lambda agency, peer=None: make_goal_step(
        make_goal(make_participant(agency, peer=peer))
    ),
}
# URL keyword arguments naming a parent object: keyword -> resource.
PARENT_KWARGS = {"participant_pk": "participants", "goal_pk": "goals"}
# For a nested object's URL, its parent keyword -> the object's attribute naming that parent (so
# the URL names the object under its own parent, and agency A's key reaches it).
PARENT_ATTRIBUTES = {"goal_pk": "goal_id"}

API_ROUTES = [route for route in all_routes() if route.pattern.startswith(API_PREFIX)]
METHODS = ("get", "post", "patch", "put", "delete")


def _resource(pattern: str) -> str:
    """The literal segments before the route's `pk`: "goals/<int:goal_pk>/steps/<int:pk>/"
    is "goals/steps"."""
    before_pk = re.split(r"<\w+:pk>", pattern.removeprefix(API_PREFIX))[0]
    return "/".join(part for part in before_pk.split("/") if part and not part.startswith("<"))


def _build(route, name, target, agency, peer=None):
    if target not in BUILDERS:
        pytest.fail(
            f"API route {route} takes '{name}' ({target}); add a builder to BUILDERS "
            "so its cross-agency check can run."
        )
    if target == "instruments":
        from agencies.tenancy import agency_scope

        with agency_scope(agency):
            return BUILDERS[target](agency)
    return BUILDERS[target](agency, peer)


def _url(route, agency, peer=None):
    kwargs = {}
    built = None
    if "pk" in route.kwargs:
        built = _build(route, "pk", _resource(route.pattern), agency, peer)
        kwargs["pk"] = built.pk
    for name in route.kwargs:
        if name == "pk":
            continue
        if built is not None and name in PARENT_ATTRIBUTES:
            kwargs[name] = getattr(built, PARENT_ATTRIBUTES[name])
        else:
            kwargs[name] = _build(route, name, PARENT_KWARGS.get(name), agency, peer).pk
    return reverse(route.name, kwargs=kwargs)


def test_the_walk_finds_the_api_routes():
    names = {route.name for route in API_ROUTES}
    assert {
        "api-participant-list",
        "api-participant-detail",
        "api-contact-list",
        "api-checkinrequest-revoke",
        "api-alert-resolve",
        "api-goal-detail",
        "api-goalstep-list",
        "api-goalstep-detail",
    } <= names


def test_every_api_route_is_an_agency_scoped_viewset():
    from django.urls import resolve

    from agencies.api.viewsets import AgencyScopedViewSet

    for route in API_ROUTES:
        kwargs = {name: 1 for name in route.kwargs}
        match = resolve(reverse(route.name, kwargs=kwargs))
        assert issubclass(match.func.cls, AgencyScopedViewSet), route


ID_ROUTES = [route for route in API_ROUTES if route.kwargs]


@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_other_agencys_key_gets_404(route, agency_a, agency_b):
    url = _url(route, agency_a)
    outsider = api_client(make_api_key(agency_b)[1])
    insider = api_client(make_api_key(agency_a)[1])
    statuses = {method: getattr(outsider, method)(url, {}).status_code for method in METHODS}
    # 405 answers a method the route never takes, before any lookup (docs/decisions.md 3).
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (url, statuses)
    for method, code in statuses.items():
        if code == 404:
            body = getattr(outsider, method)(url, {}).json()
            assert body["error"]["code"] == "not_found"
    # The control: agency A's own key reaches the same URL.
    assert insider.get(url).status_code in (200, 405), url


@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_other_agencys_staff_session_gets_404(route, agency_a, admin_b_client):
    url = _url(route, agency_a)
    for method in METHODS:
        status = getattr(admin_b_client, method)(url, {}, content_type="application/json")
        assert status.status_code in (403, 404, 405), (url, method, status.status_code)
        # 403 only from CSRF on writes, which comes before any lookup.
        if status.status_code == 403:
            assert method != "get"
