"""Who may reach each page of an agency, walked over every route from what the route declares
(agencies/access.py), like tests/test_cross_agency_routes.py walks agencies:

- every route under /a/<agency_slug>/ declares its roles, or the suite fails naming it;
- a member whose role the route does not allow gets 403, for every such role, while a member
  with an allowed role gets through (the control);
- a peer asking for another peer's participant, or an object of theirs (a goal, an alert…),
  gets 404, and cannot reach it through their own participant's address either, while the
  participant's own peer reaches the same URL (the control).

New routes are checked automatically; a route taking an id with no builder fails in
test_cross_agency_routes.py's OBJECT_BUILDERS.
"""

import pytest

from agencies.access import EVERY_ROLE, caseload_keywords
from agencies.models import Role

from .conftest import client_for
from .factories import make_member, make_participant
from .routes import agency_routes
from .test_cross_agency_routes import OBJECT_BUILDERS, build_objects, url_of

ROUTES = agency_routes()
DECLARED = [route for route in ROUTES if route.access is not None]
# Least privileged first: the control of a refusal is the humblest role the route allows.
ROLES_UPWARD = (Role.PEER, Role.SUPERVISOR, Role.ADMIN)


def _statuses(member, url) -> dict[str, int]:
    """GET and POST of `url` by `member`, each from a fresh browser (some POSTs sign out)."""
    return {
        method: getattr(client_for(member.user), method)(url).status_code
        for method in ("get", "post")
    }


def _reached(statuses: dict[str, int]) -> bool:
    """Neither refused nor hidden, and at least one method answered as a page does (405 is a
    method the route never takes)."""
    codes = set(statuses.values())
    return not codes & {403, 404} and bool(codes & {200, 302, 400, 405})


def test_every_agency_route_declares_who_may_use_it():
    undeclared = [route.pattern for route in ROUTES if route.access is None]
    assert undeclared == [], (
        f"Declare these routes with agency_path(..., roles=...) (agencies/access.py): {undeclared}"
    )


def test_the_walk_finds_restricted_and_caseload_routes():
    # Guards the walk itself: if it stopped finding these, the checks below would pass empty.
    restricted = {route.name for route in DECLARED if route.access.roles != EVERY_ROLE}
    assert {"staff_list", "participant_transfer", "participant_audit", "alliance_dashboard"} <= (
        restricted
    )
    assert {"participant_id", "alert_id", "commitment_id", "response_id"} <= caseload_keywords()
    assert {route.name for route in CASELOAD_ROUTES} >= {
        "participant_detail",
        "goal_step_toggle",
        "alert_detail",
        "commitment_close",
        "response_fhir",
    }


# Roles --------------------------------------------------------------------------------------

REFUSALS = [
    (route, role) for route in DECLARED for role in ROLES_UPWARD if role not in route.access.roles
]


@pytest.mark.parametrize(
    ("route", "role"), REFUSALS, ids=[f"{route}-{role}" for route, role in REFUSALS]
)
def test_member_whose_role_the_route_does_not_allow_gets_403(route, role, agency_a):
    peer = make_member(agency_a, Role.PEER)
    # The participant (if any) is the peer's own, so a peer's refusal is their role alone.
    url = url_of(route, agency_a, build_objects(route, agency_a, peer=peer))
    refused = peer if role == Role.PEER else make_member(agency_a, role)
    assert set(_statuses(refused, url).values()) == {403}, (url, role)
    # The control: the humblest role the route allows reaches the same URL.
    allowed = next(r for r in ROLES_UPWARD if r in route.access.roles)
    member = peer if allowed == Role.PEER else make_member(agency_a, allowed)
    statuses = _statuses(member, url)
    assert _reached(statuses), (url, allowed, statuses)


# Caseload -----------------------------------------------------------------------------------

# Routes a peer may use that name a participant, or an object of one, by id.
CASELOAD_ROUTES = [
    route
    for route in DECLARED
    if Role.PEER in route.access.roles and set(route.kwargs) & caseload_keywords()
]


@pytest.mark.parametrize("route", CASELOAD_ROUTES, ids=str)
def test_peer_on_another_peers_participant_gets_404(route, agency_a):
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    url = url_of(route, agency_a, build_objects(route, agency_a, peer=owner))
    statuses = _statuses(other, url)
    # 405 answers a method the route never takes (decision 3); every other method is 404.
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (url, statuses)
    # The control: the participant's own peer reaches the same URL.
    statuses = _statuses(owner, url)
    assert _reached(statuses), (url, statuses)


# Routes whose address names a participant and then an object of theirs (goal_id, step_id…).
NESTED_ROUTES = [
    route
    for route in CASELOAD_ROUTES
    if "participant_id" in route.kwargs
    and route.kwargs.index("participant_id") < len(route.kwargs) - 1
]


@pytest.mark.parametrize("route", NESTED_ROUTES, ids=str)
def test_peer_cannot_reach_another_peers_objects_through_their_own_participant(route, agency_a):
    """A goal (consent, check-in link…) is looked up through the participant the address
    names: another peer's goal id under one's own participant is 404."""
    owner, other = make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)
    theirs = build_objects(route, agency_a, peer=owner)
    mine = {**theirs, "participant_id": make_participant(agency_a, peer=other)}
    statuses = _statuses(other, url_of(route, agency_a, mine))
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (route, statuses)
    # The control: the same objects under their own participant's address, for their peer.
    statuses = _statuses(owner, url_of(route, agency_a, theirs))
    assert _reached(statuses), (route, statuses)


def test_supervisor_reaches_any_participant_of_the_agency(agency_a, supervisor_a):
    """The caseload rule's other half: supervisors (and admins) see the whole agency."""
    route = next(route for route in CASELOAD_ROUTES if route.name == "participant_detail")
    url = url_of(
        route, agency_a, build_objects(route, agency_a, peer=make_member(agency_a, Role.PEER))
    )
    assert client_for(supervisor_a.user).get(url).status_code == 200


def test_the_builders_cover_every_caseload_keyword():
    assert caseload_keywords() <= set(OBJECT_BUILDERS)
