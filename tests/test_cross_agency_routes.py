"""Every page of an agency answers 404 to people from another agency, for every route.

The walk is generated from the URL configuration: a new route under /a/<agency_slug>/ is
checked automatically, and the test fails if it takes an id this file cannot make an object
for. Add a builder to OBJECT_BUILDERS when you add such a route.
"""

import pytest
from django.urls import reverse

from agencies.models import Role
from tests.conftest import client_for
from tests.factories import (
    make_alert,
    make_api_key,
    make_checkin_request,
    make_commitment,
    make_disclosure_consent,
    make_goal,
    make_goal_step,
    make_import,
    make_invitation,
    make_language_term,
    make_member,
    make_notification,
    make_participant,
)
from tests.routes import agency_routes, all_routes

# URL keyword -> a function making an object of that kind in the given agency. It receives the
# agency and the objects already built for this URL (by keyword, in URL order), so a nested id
# (a consent of *this* participant) can belong to its parent; `built["peer"]`, when the walk
# names one, is the peer whose caseload the URL's participant joins. It returns the object.
OBJECT_BUILDERS = {
    "membership_id": lambda agency, built: make_member(agency, Role.PEER),
    "invitation_id": lambda agency, built: make_invitation(agency)[0],
    "participant_id": lambda agency, built: make_participant(agency, peer=built.get("peer")),
    "consent_id": lambda agency, built: make_disclosure_consent(built["participant_id"]),
    "term_id": lambda agency, built: make_language_term(agency),
    "request_id": lambda agency, built: make_checkin_request(built["participant_id"])[0],
    "alert_id": lambda agency, built: make_alert(participant_of_url(agency, built)),
    "commitment_id": lambda agency, built: make_commitment(participant_of_url(agency, built)),
    # A notification is its recipient's alone: it is made for the agency's (first) admin, who
    # reaches it in the control test, while the other agency's admin must get 404.
    "notification_id": lambda agency, built: make_notification(first_admin(agency)),
    "import_id": lambda agency, built: make_import(agency),
    "key_id": lambda agency, built: make_api_key(agency)[0],
    "response_id": lambda agency, built: __import__(
        "tests.factories", fromlist=["make_checkin_response"]
    ).make_checkin_response(participant_of_url(agency, built)),
    "goal_id": lambda agency, built: make_goal(built["participant_id"]),
    "step_id": lambda agency, built: make_goal_step(built["goal_id"]),
}

# Routes outside /a/<agency_slug>/, each with the reason it holds no tenant data or how it
# protects it. A new route outside an agency must be added here deliberately.
NON_AGENCY_ROUTES = {
    "": "start page: redirects to the user's own agency or lists only their agencies",
    "healthz": "liveness probe, no data",
    "invitations/<str:token>/": "token link: the hashed token finds its agency (find_by_token)",
    "p/<str:token>/": "participant portal: the hashed token finds its link and agency "
    "(find_by_token); the participant is reached through the link only",
    "p/<str:token>/profile/": "participant portal, as above: edits the link's own participant",
    "p/<str:token>/preferences/": "participant portal, as above: the link's own participant",
    "p/<str:token>/boundaries/acknowledge/": "participant portal, as above: POST only",
    "p/<str:token>/goals/<int:goal_id>/agree/": "participant portal, as above: POST only; "
    "the goal is looked up among the link's own participant's goals",
    "p/<str:token>/goals/<int:goal_id>/edit/": "participant portal, as above: a goal of the "
    "link's own participant, else the unusable-link page",
    "p/<str:token>/goals/<int:goal_id>/steps/<int:step_id>/toggle/": "participant portal, as "
    "above: POST only; a step of a goal of the link's own participant",
    "p/<str:token>/export.json": "participant portal, as above: the link's own participant",
    "p/<str:token>/export.csv": "participant portal, as above: the link's own participant",
    "c/done/": "kiosk's neutral screen after a check-in: shows nothing about anyone",
    "c/<str:token>/": "check-in link: the hashed token finds its request (find_by_token)",
    "c/<str:token>/choice/": "check-in link, as above: the repair choice of its own response",
    "f/<str:token>/": "follow-through question: the hashed token finds its commitment",
    "sms/<slug:slug>/inbound/": "SMS provider's webhook: refused (403) unless signed with the "
    "slug's agency's provider secret; answers only the texting number (tests/messaging)",
    "sms/<slug:slug>/status/": "SMS provider's delivery reports: signed as above; finds the "
    "text by the provider's id within that agency",
}
THIRD_PARTY_PREFIXES = {
    "accounts/": "django-allauth: the signed-in user's own account, no tenant data",
    "admin/": "platform admins only (superuser + MFA); see test_platform_admin.py",
    "api/": "REST API: v1 resolves the agency from the API key or session membership "
    "(AgencyScopedViewSet) and test_api_cross_agency.py walks every v1 route; schema/ and "
    "docs/ describe the API and hold no tenant data",
}

ROUTES = agency_routes()


def participant_of_url(agency, built):
    """The participant an object of this URL belongs to: the one the URL names, else a new one
    (in the caseload of the walk's peer, if it names one)."""
    return built.get("participant_id") or make_participant(agency, peer=built.get("peer"))


def first_admin(agency):
    from agencies.models import Membership
    from agencies.tenancy import agency_scope

    with agency_scope(agency):
        admin = Membership.objects.filter(role=Role.ADMIN).order_by("pk").first()
    return admin or make_member(agency, Role.ADMIN)


def build_objects(route, object_agency, *, peer=None) -> dict:
    """One object for each id the route takes (URL keyword -> object), made in `object_agency`;
    participants join `peer`'s caseload when one is given."""
    built = {"peer": peer}
    for name in route.kwargs:
        if name == "agency_slug":
            continue
        if name not in OBJECT_BUILDERS:
            pytest.fail(
                f"Route {route} takes '{name}'; add a builder for it to OBJECT_BUILDERS "
                "so its cross-agency check can run."
            )
        built[name] = OBJECT_BUILDERS[name](object_agency, built)
    del built["peer"]
    return built


def url_of(route, agency, built: dict) -> str:
    """The route's address under `agency`, naming the objects `built`."""
    kwargs = {name: obj.pk for name, obj in built.items()}
    return reverse(route.name, kwargs={"agency_slug": agency.slug, **kwargs})


def _url(route, agency, object_agency, *, peer=None):
    return url_of(route, agency, build_objects(route, object_agency, peer=peer))


def test_every_route_is_an_agency_route_or_listed():
    unlisted = [
        str(route.pattern)
        for route in all_routes()
        if "agency_slug" not in route.kwargs
        and route.pattern not in NON_AGENCY_ROUTES
        and not any(route.pattern.startswith(prefix) for prefix in THIRD_PARTY_PREFIXES)
    ]
    assert unlisted == [], "Routes outside /a/<agency_slug>/ need a reason in NON_AGENCY_ROUTES"


def test_the_walk_finds_the_agency_routes():
    # Guards the walk itself: if it stopped finding routes, every check below would pass.
    names = {route.name for route in ROUTES}
    assert {"agency_home", "staff_list", "staff_edit", "invitation_revoke"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_member_of_another_agency_gets_404(route, agency_a, agency_b, admin_a, admin_b):
    """An admin of agency B (every role check passes for an admin) cannot reach agency A's
    pages, under A's address or with A's ids under B's address."""
    outsider = client_for(admin_b.user)
    urls = [_url(route, agency_a, agency_a)]
    if len(route.kwargs) > 1:
        urls.append(_url(route, agency_b, agency_a))
    for url in urls:
        statuses = {
            method: getattr(outsider, method)(url).status_code for method in ("get", "post")
        }
        # 405 answers a method the route never takes: it says nothing about the object
        # (decision 3). Every method the route does take must answer 404.
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (url, statuses)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_member_of_the_agency_reaches_the_route(route, agency_a, admin_a):
    """The control for the test above: the same URLs work for agency A's own admin, so a 404
    there means isolation, not a broken URL."""
    insider = client_for(admin_a.user)
    statuses = {
        insider.get(_url(route, agency_a, agency_a)).status_code,
        insider.post(_url(route, agency_a, agency_a)).status_code,
    }
    assert 404 not in statuses and statuses & {200, 302, 400, 405}


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_person_without_agency_gets_404_and_anonymous_must_sign_in(route, agency_a, nobody):
    url = _url(route, agency_a, agency_a)
    assert client_for(nobody).get(url).status_code == 404
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
