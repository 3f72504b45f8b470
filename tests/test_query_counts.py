"""Query counts do not grow with data (issue 17, goal 3): every staff page and every API list,
walked from the URL configuration (tests/routes.py, like tests/test_route_access.py), is
rendered as the agency's admin at two sizes of the same agency, and the number of SQL
statements must be the same at both. A page whose count grows with the data has an N+1 (a
related object or count fetched per row): fix it with select_related, prefetch_related or an
annotation in the selector.

One agency, one pass over the routes at the small size, more participants with the same
history added, a second pass: cheap enough for every commit. The statements are counted as
the application role (tests/conftest.py), row-level-security settings included."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Role
from agencies.tenancy import agency_scope

from .conftest import client_for
from .factories import (
    make_alert,
    make_checkin_response,
    make_commitment,
    make_goal,
    make_goal_step,
    make_member,
    make_notification,
    make_participant,
)
from .routes import agency_routes
from .test_api_cross_agency import API_ROUTES
from .test_cross_agency_routes import OBJECT_BUILDERS, url_of

SMALL, LARGE = 3, 12  # participants with history, per peer, at each size


def history_add(agency, peers, admin, main, count: int) -> None:
    """`count` participants for each peer, and `count` more of everything for `main` (the
    participant the walk's addresses name): check-ins (one with an alert), a goal with a
    step, an open commitment, a contact; and `count` notifications for the admin."""
    participants = [make_participant(agency, peer=peer) for peer in peers for _ in range(count)]
    for participant in participants + [main] * count:
        history_of(participant)
    for _ in range(count):
        make_notification(admin)


def history_of(participant) -> None:
    from participants.services import contact_log

    peer = participant.assigned_peer
    make_checkin_response(participant, days_ago=3)
    make_alert(participant)
    make_goal_step(make_goal(participant, created_by=peer.user), added_by=peer.user)
    make_commitment(participant, staff=peer)
    with agency_scope(participant.agency_id):
        contact_log(participant=participant, staff=peer, data={"note": "Called back"})


def route_urls(agency, peer, main) -> dict[str, str]:
    """Route name -> its address, every id naming `main` or an object of theirs where the
    route takes one (OBJECT_BUILDERS make the others)."""
    urls = {}
    for route in agency_routes():
        if route.access is None:
            continue  # tests/test_route_access.py fails it
        built = {"peer": peer, "participant_id": main}
        for name in route.kwargs:
            if name not in built and name != "agency_slug":
                built[name] = OBJECT_BUILDERS[name](agency, built)
        del built["peer"]
        used = {name: built[name] for name in route.kwargs if name != "agency_slug"}
        urls[str(route)] = url_of(route, agency, used)
    goal = make_goal(main)
    make_goal_step(goal)
    for route in API_ROUTES:
        if route.name.endswith("-list"):
            kwargs = {"participant_pk": main.pk, "goal_pk": goal.pk}
            urls[str(route)] = reverse(route.name, kwargs={k: kwargs[k] for k in route.kwargs})
    return urls


def _count(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


def test_query_counts_do_not_grow_with_data(agency_a, admin_a):
    peers = [make_member(agency_a, Role.PEER), make_member(agency_a, Role.PEER)]
    main = make_participant(agency_a, peer=peers[0])
    history_add(agency_a, peers, admin_a, main, SMALL)
    urls = route_urls(agency_a, peers[0], main)
    client = client_for(admin_a.user)
    small = {}
    for name, url in urls.items():
        client.get(url)  # first view: per-process caches (instrument items, blank forms)
        small[name] = _count(client, url)
    rendered = {name for name, (status, _) in small.items() if status != 405}
    # Guards the walk: the caseload, a participant's page and the lists must be among them.
    assert {"caseload", "participant_detail", "api-participant-list"} <= rendered
    assert {"api-checkinresponse-list", "api-alert-list", "api-contact-list"} <= rendered

    history_add(agency_a, peers, admin_a, main, LARGE - SMALL)
    grew = {}
    for name in sorted(rendered):
        status, count = _count(client, urls[name])
        if (status, count) != small[name]:
            grew[name] = f"{small[name][1]} -> {count} statements (HTTP {small[name][0]}->{status})"
    assert grew == {}, (
        f"Statements per page grew from {SMALL} to {LARGE} participants per peer: {grew}"
    )
