"""Who may do what through the API with a staff session, walked over every route, method and
action of /api/v1/ from what each viewset declares (`action_roles`, `participant_field` on
AgencyScopedViewSet), like tests/test_api_cross_agency.py walks agencies:

- a signed-in member whose role the action does not allow gets 403 `role_not_allowed`, while a
  member with an allowed role is not refused (the control);
- a peer's session gets 404 for another peer's participant and everything of theirs, and lists
  leave them out, while their own peer reaches the same URL (the control);
- a peer's session cannot create anything for another peer's participant (400 "No such
  participant."), while their own peer can;
- a viewset that does not declare these is refused when its class is defined.

API keys are not members: their scope is walked in tests/test_api_key_scopes.py.
"""

from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework import mixins

from agencies.access import EVERY_ROLE
from agencies.api.viewsets import AgencyScopedViewSet
from agencies.models import Role

from .conftest import client_for
from .factories import make_member, make_participant
from .test_api_cross_agency import (
    API_ROUTES,
    BUILDERS,
    PARENT_ATTRIBUTES,
    PARENT_KWARGS,
    _resource,
    _url,
)

# Least privileged first: the control of a refusal is the humblest role the action allows.
ROLES_UPWARD = (Role.PEER, Role.SUPERVISOR, Role.ADMIN)


def _endpoint(route):
    """The route's viewset and its methods -> actions (DRF adds "head" while dispatching)."""
    match = resolve(reverse(route.name, kwargs={name: 1 for name in route.kwargs}))
    actions = {m: a for m, a in match.func.actions.items() if m not in ("head", "options")}
    return match.func.cls, actions


ENDPOINTS = [(route, *_endpoint(route)) for route in API_ROUTES]


def _call(member, method, url, body=None):
    client = client_for(member.user)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def _peer_may(viewset, action) -> bool:
    return Role.PEER in viewset.action_roles[action]


def test_the_walk_finds_a_refusal_and_the_caseload_routes():
    # Guards the walk itself: if it stopped finding these, the checks below would pass empty.
    assert ("api-participant-status", "post", Role.PEER) in {
        (route.name, method, role) for route, method, _action, role in REFUSALS
    }
    assert {route.name for route in CASELOAD_ROUTES} >= {
        "api-participant-detail",
        "api-contact-list",
        "api-alert-resolve",
        "api-goalstep-detail",
    }
    assert {route.name for route in CREATE_ROUTES} >= {"api-goal-list", "api-commitment-list"}
    assert {route.name for route in NESTED_ROUTES} >= {"api-goalstep-detail"}


def test_a_viewset_without_declarations_is_refused_when_defined():
    with pytest.raises(TypeError, match="participant_field"):

        class NoParticipantField(mixins.ListModelMixin, AgencyScopedViewSet):
            api_resource = "alerts"
            action_roles = {"list": EVERY_ROLE}

    with pytest.raises(TypeError, match="action_roles"):

        class ActionWithoutRoles(
            mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet
        ):
            api_resource = "alerts"
            participant_field = "participant"
            action_roles = {"list": EVERY_ROLE}

    # The control: the same viewset declaring every action is accepted.
    class Declared(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
        api_resource = "alerts"
        participant_field = "participant"
        action_roles = {"list": EVERY_ROLE, "retrieve": EVERY_ROLE}

    assert Declared.action_names() == {"list", "retrieve"}


# Roles --------------------------------------------------------------------------------------

REFUSALS = [
    (route, method, action, role)
    for route, viewset, actions in ENDPOINTS
    for method, action in actions.items()
    for role in ROLES_UPWARD
    if role not in viewset.action_roles[action]
]


@pytest.mark.parametrize(
    ("route", "method", "action", "role"),
    REFUSALS,
    ids=[f"{route}-{method}-{role}" for route, method, _action, role in REFUSALS],
)
def test_staff_member_whose_role_the_action_does_not_allow_gets_403(
    route, method, action, role, agency_a
):
    viewset, _actions = _endpoint(route)
    peer = make_member(agency_a, Role.PEER)
    # The participant is the peer's own, so a peer's refusal is their role alone.
    url = _url(route, agency_a, peer)
    refused = peer if role == Role.PEER else make_member(agency_a, role)
    answer = _call(refused, method, url)
    assert answer.status_code == 403, (url, method, answer.status_code)
    assert answer.json()["error"]["code"] == "role_not_allowed"
    # The control: the humblest role the action allows is not refused (the empty body may
    # still be invalid).
    allowed = next(r for r in ROLES_UPWARD if r in viewset.action_roles[action])
    member = peer if allowed == Role.PEER else make_member(agency_a, allowed)
    assert _call(member, method, url).status_code not in (403, 404), (url, method, allowed)


# Caseload -----------------------------------------------------------------------------------

# Routes naming a participant's object (or the participant) by id, with a method peers may use.
CASELOAD_ROUTES = [
    route
    for route, viewset, actions in ENDPOINTS
    if route.kwargs
    and viewset.participant_field is not None
    and any(_peer_may(viewset, action) for action in actions.values())
]


@pytest.mark.parametrize("route", CASELOAD_ROUTES, ids=str)
def test_peer_on_another_peers_participant_gets_404(route, agency_a):
    viewset, actions = _endpoint(route)
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    url = _url(route, agency_a, owner)
    for method, action in actions.items():
        if not _peer_may(viewset, action):
            continue
        answer = _call(other, method, url)
        assert answer.status_code == 404, (url, method, answer.status_code)
        assert answer.json()["error"]["code"] == "not_found"
        # The control: the participant's own peer is neither refused nor told it is not found.
        assert _call(owner, method, url).status_code not in (403, 404), (url, method)


# Routes naming an object under its parent: /goals/{goal_pk}/steps/{pk}/.
NESTED_ROUTES = [
    route for route in CASELOAD_ROUTES if "pk" in route.kwargs and set(route.kwargs) - {"pk"}
]


@pytest.mark.parametrize("route", NESTED_ROUTES, ids=str)
def test_peer_cannot_reach_another_peers_object_under_their_own_parent(route, agency_a):
    """A step is looked up through the goal the address names: another peer's step under one's
    own goal is 404."""
    viewset, actions = _endpoint(route)
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    theirs = BUILDERS[_resource(route.pattern)](agency_a, owner)
    kwargs = {"pk": theirs.pk}
    for name in set(route.kwargs) - {"pk"}:
        kwargs[name] = BUILDERS[PARENT_KWARGS[name]](agency_a, other).pk
    for method, action in actions.items():
        if _peer_may(viewset, action):
            answer = _call(other, method, reverse(route.name, kwargs=kwargs))
            assert answer.status_code == 404, (route, method, answer.status_code)
    # The control: the same object under its own parent, for its peer.
    own = {"pk": theirs.pk}
    own.update({name: getattr(theirs, PARENT_ATTRIBUTES[name]) for name in set(kwargs) - {"pk"}})
    assert _call(owner, "get", reverse(route.name, kwargs=own)).status_code == 200


LIST_ROUTES = [
    route
    for route, viewset, actions in ENDPOINTS
    if not route.kwargs and viewset.participant_field is not None and "list" in actions.values()
]


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_peer_list_leaves_out_another_peers_participants(route, agency_a):
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    theirs = BUILDERS[_resource(route.pattern)](agency_a, owner)
    url = reverse(route.name)

    def ids(member):
        answer = _call(member, "get", url)
        assert answer.status_code == 200, (url, answer.status_code)
        return {row["id"] for row in answer.json()["results"]}

    assert theirs.pk not in ids(other), url
    assert theirs.pk in ids(owner), url  # the control


# Request bodies naming a participant, per resource.
CREATE_BODIES = {
    "checkin-requests": lambda participant: {"participant": participant.pk},
    "commitments": lambda participant: {
        "participant": participant.pk,
        "what": "Call on Thursday at 3",
        "due_at": (timezone.now() + timedelta(days=2)).isoformat(),
    },
    "goals": lambda participant: {"participant": participant.pk, "words": "Walk every morning"},
}
CREATE_ROUTES = [
    route
    for route, viewset, actions in ENDPOINTS
    if not route.kwargs
    and viewset.participant_field == "participant"
    and "create" in actions.values()
    and _peer_may(viewset, "create")
]


@pytest.mark.parametrize("route", CREATE_ROUTES, ids=str)
def test_peer_cannot_create_anything_for_another_peers_participant(route, agency_a):
    resource = _resource(route.pattern)
    if resource not in CREATE_BODIES:
        pytest.fail(f"Add a valid request body for {route} to CREATE_BODIES.")
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    body = CREATE_BODIES[resource](make_participant(agency_a, peer=owner))
    url = reverse(route.name)
    answer = _call(other, "post", url, body)
    assert answer.status_code == 400, (url, answer.status_code)
    assert answer.json()["error"]["fields"] == {"participant": ["No such participant."]}
    # The control: their own peer creates it.
    assert _call(owner, "post", url, body).status_code == 201, url


def test_a_peer_cannot_hand_their_participant_to_another_peer(agency_a, peer_a):
    """Assigning a peer is a transfer, which takes a supervisor (as on the pages): the peer's
    session gets a 400 naming the field, and the participant stays in their caseload."""
    mine = make_participant(agency_a, peer=peer_a)
    colleague = make_member(agency_a, Role.PEER)
    url = f"/api/v1/participants/{mine.pk}/"
    answer = _call(peer_a, "patch", url, {"assigned_peer": colleague.pk})
    assert answer.status_code == 400 and "assigned_peer" in answer.json()["error"]["fields"]
    assert _call(peer_a, "get", url).json()["assigned_peer"] == peer_a.pk
    # Naming the peer the record already has is no change, and passes.
    assert _call(peer_a, "patch", url, {"assigned_peer": peer_a.pk}).status_code == 200
