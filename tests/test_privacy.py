"""Issue 15: nothing personal leaves through a URL, a log line, a cache or an email body.

The token routes are found by walking the URL configuration (tests/routes.py), so a route
added later is checked without a line here."""

import logging
import re
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django import forms
from django.core import mail
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from agencies import links
from agencies.models import Role
from agencies.tenancy import agency_scope
from agencies.tokens import token_new
from config import log_filters
from config.urls import urlpatterns as site_urlpatterns
from demo.people import PEOPLE
from tests.factories import make_checkin_request, make_invitation, make_participant
from tests.routes import Route, all_routes

KNOWN_TOKEN = "N8liwHEPToGcFtuet2vGDGuYfd9VHrmbg4FEoskJh1w"


def token_routes() -> list[Route]:
    return [route for route in all_routes() if "token" in route.kwargs]


def url_of(route: Route, token: str, **values) -> str:
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if name == "token":
            return token
        if name in values:
            return str(values[name])
        return {"int": "999999", "slug": "agency-a"}.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route.pattern)


def request(client: Client, url: str):
    """GET where the route takes it, else POST (the route answers 405 to a GET first)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


@pytest.fixture
def participant(agency_a, peer_a):
    from alliance.checkins.services import instrument_install_default

    with agency_scope(agency_a):
        instrument_install_default(agency=agency_a)
    return make_participant(agency_a, peer=peer_a, preferred_name="Marcus Aurelio")


def real_token(prefix: str, participant, peer_a) -> str:
    """A working token for the routes under `prefix` (c/, f/, p/, invitations/)."""
    agency = participant.agency
    if prefix == "c/":
        return make_checkin_request(participant)[1]
    if prefix == "p/":
        from participants.services import portal_link_create

        with agency_scope(agency):
            return portal_link_create(participant=participant, created_by=peer_a.user)[1]
    if prefix == "invitations/":
        return make_invitation(agency)[1]
    if prefix == "f/":
        from alliance.commitments.models import Commitment
        from alliance.commitments.services import commitment_create

        raw, hashed = token_new()
        with agency_scope(agency):
            commitment = commitment_create(
                participant=participant,
                promised_by="staff",
                staff=peer_a,
                what="Call to talk through the week",
                due_at=timezone.now() - timedelta(minutes=5),
                created_by=peer_a.user,
            )
            Commitment.objects.filter(pk=commitment.pk).update(followup_token_hash=hashed)
        return raw
    raise AssertionError(f"no working token for {prefix}: add one to real_token")


def prefix_of(route: Route) -> str:
    return route.pattern.split("<", 1)[0]


def test_token_routes_are_found():
    prefixes = {prefix_of(route) for route in token_routes()}
    assert {"c/", "f/", "p/", "invitations/"} <= prefixes


# 1. Logs ------------------------------------------------------------------------------------


def test_no_token_reaches_any_log_record(participant, peer_a, caplog):
    """Every token route, with a made-up token and with a working one, past the rate limit,
    and an access-log line for each: no record at any level holds the token."""
    tokens = [KNOWN_TOKEN]
    caplog.set_level(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        for n, route in enumerate(token_routes()):
            working = real_token(prefix_of(route), participant, peer_a)
            tokens.append(working)
            client = Client(REMOTE_ADDR=f"10.9.0.{n + 1}")
            for token in (KNOWN_TOKEN, working):
                url = url_of(route, token)
                response = request(client, url)
                logging.getLogger("django.server").info(
                    '"%s" %s %s', f"GET {url}?next={url} HTTP/1.1", response.status_code, 0
                )
            for _ in range(links_limit() + 1):  # 429s are logged too
                request(client, url_of(route, KNOWN_TOKEN))
    messages = [record.getMessage() for record in caplog.records]
    assert any("Not Found" in m or "Gone" in m or "Too Many" in m for m in messages)
    assert any("[token]" in m for m in messages)
    for token in tokens:
        assert token not in caplog.text
        assert not [m for m in messages if token in m]


def links_limit() -> int:
    return int(links.FAILED_LOOKUPS_PER_IP.split("/")[0])


def test_the_redaction_is_computed_from_the_url_configuration():
    for route in token_routes():
        url = url_of(route, KNOWN_TOKEN)
        redacted = log_filters.redact(f"Not Found: {url} and http://testserver{url}")
        assert KNOWN_TOKEN not in redacted, route
        assert "[token]" in redacted
    # Literal neighbours of a token are not tokens.
    assert log_filters.redact("GET /c/done/ 200") == "GET /c/done/ 200"


def later_view(request, token):
    raise AssertionError("never called")


urlpatterns = [*site_urlpatterns, path("later/<str:token>/", later_view, name="later")]


@override_settings(ROOT_URLCONF="tests.test_privacy")
def test_a_token_route_added_later_is_redacted_too():
    logger = logging.getLogger("django.request")
    record = logger.makeRecord(
        "django.request", logging.WARNING, "", 0, "Not Found: %s", (f"/later/{KNOWN_TOKEN}/",), None
    )
    assert record.getMessage() == "Not Found: /later/[token]/"


# 2. Failed lookups are limited on every token route -------------------------------------


def test_every_token_route_limits_failed_lookups(participant, peer_a):
    limit = links_limit()
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for n, route in enumerate(token_routes()):
            guesser = Client(REMOTE_ADDR=f"10.8.0.{n + 1}")
            statuses = [
                request(guesser, url_of(route, f"wrong-{i}-{KNOWN_TOKEN}")).status_code
                for i in range(limit)
            ]
            assert 429 not in statuses, (route, statuses)
            limited = request(guesser, url_of(route, f"wrong-x-{KNOWN_TOKEN}"))
            assert limited.status_code == 429, route
            assert int(limited["Retry-After"]) > 0, route
            assert "no-store" in limited["Cache-Control"]


@pytest.mark.parametrize("prefix", ["c/", "f/", "p/", "invitations/"])
def test_a_working_link_still_works_while_guessing_is_limited(participant, peer_a, prefix):
    [route] = [r for r in token_routes() if r.pattern == prefix + "<str:token>/"]
    limit = links_limit()
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        guesser = Client(REMOTE_ADDR="10.7.0.1")
        for i in range(limit + 1):
            last = guesser.get(url_of(route, f"wrong-{i}"))
        assert last.status_code == 429 and last["Retry-After"]
        working = url_of(route, real_token(prefix, participant, peer_a))
        assert Client(REMOTE_ADDR="10.7.0.2").get(working).status_code == 200
        assert guesser.get(working).status_code == 200  # same address: the limit stops guesses


# 4. Search terms in query strings ----------------------------------------------------------

DEMO_NAME = PEOPLE["harbor"][1][0]  # "Marcus", a demo participant
RECORD_NUMBER = "MRN-44172"


def test_api_search_terms_reach_no_log_record(agency_a, api_a, caplog):
    make_participant(agency_a, preferred_name=DEMO_NAME, external_id=RECORD_NUMBER)
    caplog.set_level(logging.DEBUG)
    query = f"?q={DEMO_NAME}&external_id={RECORD_NUMBER}&status=active"
    found = api_a.get(f"/api/v1/participants/{query}")
    assert found.status_code == 200 and found.json()["results"][0]["preferred_name"] == DEMO_NAME
    assert api_a.get(f"/api/v1/participants/{query}&status=nonsense").status_code == 400
    assert api_a.get(f"/api/v1/no-such-thing/{query}").status_code == 404
    # The lines a server writes for these requests (runserver's and gunicorn's loggers; the
    # test client has no server), a referrer holding the query, a `next` holding it encoded,
    # and a Celery record quoting the URL: all made through the same record factory.
    encoded = f"%2Fa%2Fagency-a%2Fparticipants%2F%3Fq%3D{DEMO_NAME}%26status%3Dactive"
    lines = {
        "django.server": ('"%s" %s %s', (f"GET /api/v1/participants/{query} HTTP/1.1", 200, 9)),
        "gunicorn.access": (
            '%(r)s %(s)s "%(f)s"',
            {"r": f"GET /api/v1/participants/{query}", "s": 200, "f": f"/x/{query}"},
        ),
        "django.request": ("Redirect to /accounts/login/?next=%s", (encoded,)),
        "celery.app.trace": ("Task %s got %s", ("x", {"url": f"/a/agency-a/participants/{query}"})),
    }
    for name, (message, args) in lines.items():
        logger = logging.getLogger(name)
        logger.info(message, *args) if isinstance(args, tuple) else logger.info(message, args)
    messages = [record.getMessage() for record in caplog.records]
    assert len([m for m in messages if "q=[redacted]" in m or "q%3D[redacted]" in m]) >= 4
    assert any("external_id=[redacted]" in m for m in messages)
    assert any("status=active" in m for m in messages)  # other parameters are left as they are
    for secret in (DEMO_NAME, RECORD_NUMBER):
        assert secret not in caplog.text
        assert not [m for m in messages if secret in m]


def test_the_redacted_parameters_come_from_the_api_filters_and_page_forms():
    from alliance.checkins.views import PeriodForm
    from participants.api import ParticipantFilter
    from participants.forms import CaseloadFilterForm

    names = log_filters.personal_query_parameters()
    assert {"q", "external_id"} <= set(names)
    text_filters = [
        name
        for name, declared in ParticipantFilter.base_filters.items()
        if type(declared).__name__ == "CharFilter"
    ]
    assert set(text_filters) <= set(names)
    # Staff page forms sent by GET: every free-text field is redacted.
    for form in (CaseloadFilterForm, PeriodForm):
        for name, field in form.base_fields.items():
            if isinstance(field, forms.CharField):
                assert name in names, (form, name)
    assert "status" not in names and "page" not in names


def test_gunicorn_access_log_holds_no_search_term(transactional_db, tmp_path):
    from django.db import connection

    from bench.server import gunicorn_start, gunicorn_stop
    from tests import services
    from tests.factories import make_agency, make_api_key

    agency = make_agency("agency-g")
    make_participant(agency, preferred_name=DEMO_NAME, external_id=RECORD_NUMBER)
    raw_key = make_api_key(agency)[1]
    access_log = tmp_path / "access.log"
    server, base_url = gunicorn_start(
        settings="config.settings.test",
        env={"DATABASE_URL": services.database_url(connection.settings_dict)},
        workers=1,
        args=("--access-logfile", str(access_log)),
    )
    try:
        query = f"?q={DEMO_NAME}&external_id={RECORD_NUMBER}"
        call = urllib.request.Request(  # noqa: S310 (our own loopback server)
            f"{base_url}/api/v1/participants/{query}",
            headers={"Authorization": f"Bearer {raw_key}", "Referer": f"{base_url}/{query}"},
        )
        answer = urllib.request.urlopen(call, timeout=30)  # noqa: S310
        assert DEMO_NAME in answer.read().decode()
    finally:
        gunicorn_stop(server)  # flushes the log
    logged = access_log.read_text()
    assert "/api/v1/participants/?q=[redacted]&external_id=[redacted]" in logged
    assert DEMO_NAME not in logged and RECORD_NUMBER not in logged


# 3. Cache-Control ---------------------------------------------------------------------------


def assert_private(response, where):
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, (where, cache_control)


def test_every_staff_page_and_api_answer_is_not_stored(admin_a_client, api_a):
    staff = [r for r in all_routes() if r.pattern.startswith("a/")]
    api = [r for r in all_routes() if r.pattern.startswith("api/v1/")]
    assert staff and api
    for route in staff:
        assert_private(admin_a_client.get(url_of(route, "x")), route)
    for route in api:
        assert_private(api_a.get(url_of(route, "x")), route)
    assert_private(admin_a_client.get("/api/v1/participants/"), "api session")


def test_every_token_page_is_not_stored_and_not_indexed(participant, peer_a):
    for n, route in enumerate(token_routes()):
        client = Client(REMOTE_ADDR=f"10.6.0.{n + 1}")
        working = real_token(prefix_of(route), participant, peer_a)
        for token in (working, KNOWN_TOKEN):
            response = request(client, url_of(route, token))
            assert_private(response, route)
            assert "noindex" in response["X-Robots-Tag"], route
    page = Client().get(f"/c/{make_checkin_request(participant)[1]}/")
    assert page.status_code == 200
    assert_private(page, "check-in page")
    assert "noindex" in page["X-Robots-Tag"]


def test_a_public_page_is_left_alone(db):
    response = Client().get("/healthz")
    assert "private" not in response.get("Cache-Control", "")


# 6. The check-in page does not name the participant ----------------------------------------


def test_the_check_in_page_does_not_name_the_link_holder(participant):
    _checkin, raw = make_checkin_request(participant)
    page = Client().get(f"/c/{raw}/")
    assert page.status_code == 200 and "how are things between us" in page.text
    for part in participant.preferred_name.split():
        assert part not in page.text


# 7. Invitation emails state the expiry in the agency's time zone ------------------------


def test_the_invitation_email_shows_the_expiry_in_the_agency_time_zone(
    agency_a, admin_a, django_capture_on_commit_callbacks
):
    from agencies.services import invitation_create

    agency_a.time_zone = "America/New_York"
    agency_a.invitation_expiry_days = 7
    agency_a.save()
    with time_machine.travel(datetime(2026, 11, 24, 18, 57, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True), agency_scope(agency_a):
            invitation_create(
                agency=agency_a, invited_by=admin_a.user, email="new@example.org", role=Role.PEER
            )
    [email] = mail.outbox
    # Dec 1, 18:57 UTC is 1:57 PM in New York (EST), in the one date style (decision 110).
    assert "Tue, Dec 1, 2026, 1:57 PM (EST, America/New_York)" in email.body
    assert "UTC" not in email.body


# 5. Staff emails name no participant and quote no promise --------------------------------

STAFF_KINDS = {
    "alert",
    "supervisor_request",
    "commitment_reminder",
    "commitment_missed",
    "goal_review",
    "texts_stopped",
    "texts_restarted",
    "texts_paused",
}
PARTICIPANT_KINDS = {
    "follow_through",
    "checkin_invite",
    "checkin_reminder",
    "checkin_link",
    "portal_link",
    "text_reply",  # answers to the participant's texts: no names (tests/messaging)
    "keyword_reply",
}
PROMISE = "Call to talk through the week"


def staff_deliveries(participant, peer_a):
    """One delivery to the peer for each staff-facing kind, about a real subject."""
    from alliance.commitments.services import commitment_create
    from alliance.messaging.models import Delivery, PausedNumber, TextInbound
    from tests.factories import make_alert, make_goal

    agency = participant.agency
    alert = make_alert(participant)
    goal = make_goal(participant, review_on=timezone.localdate() + timedelta(days=1))
    with agency_scope(agency):
        commitment = commitment_create(
            participant=participant,
            promised_by="staff",
            staff=peer_a,
            what=PROMISE,
            due_at=timezone.now() + timedelta(days=1),
            created_by=peer_a.user,
        )
        text_in = TextInbound.objects.create(
            agency=agency, participant=participant, provider_id="SM1", keyword="stop"
        )
        paused = PausedNumber.objects.create(
            agency=agency, participant=participant, phone="+12025550143"
        )
    subjects = {
        "alert": (alert.pk, 1),
        "supervisor_request": (alert.pk, 1),
        "commitment_reminder": (commitment.pk, commitment.version),
        "commitment_missed": (commitment.pk, commitment.version),
        "goal_review": (goal.pk, 1),
        "texts_stopped": (text_in.pk, 1),
        "texts_restarted": (text_in.pk, 1),
        "texts_paused": (paused.pk, 1),
    }
    return {
        kind: Delivery(
            agency=agency,
            kind=kind,
            subject_id=subject_id,
            subject_version=version,
            membership=peer_a,
            channel="email",
            due_at=timezone.now(),
        )
        for kind, (subject_id, version) in subjects.items()
    }


def render(delivery, channel: str):
    from alliance.messaging.services import _RENDERERS

    delivery.channel = channel
    with agency_scope(delivery.agency_id):
        return _RENDERERS[delivery.kind](delivery)


def test_every_message_kind_is_known_to_be_for_staff_or_for_participants():
    from alliance.messaging.models import DeliveryKind

    assert set(DeliveryKind.values) == STAFF_KINDS | PARTICIPANT_KINDS


def test_staff_emails_name_no_participant_and_quote_no_promise(participant, peer_a):
    deliveries = staff_deliveries(participant, peer_a)
    assert set(deliveries) == STAFF_KINDS
    words = [*participant.preferred_name.split(), PROMISE, "talk through"]
    for kind, delivery in deliveries.items():
        email = render(delivery, "email")
        assert email is not None, kind
        body = f"{email.subject}\n{email.text}"
        for word in words:
            assert word not in body, (kind, word, body)
        assert "Sign in to Rapport" in body and "http://testserver/a/agency-a/" in body, kind
    # In the app (behind the sign-in) names stay, so staff know whom it is about.
    for kind in ("alert", "commitment_reminder", "commitment_missed", "goal_review"):
        in_app = render(deliveries[kind], "in_app")
        assert "Marcus Aurelio" in in_app.text, kind
