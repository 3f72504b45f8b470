"""The OpenAPI document, Swagger UI under the site's CSP, and schemathesis fuzzing every
operation in-process (WSGI) with a valid key and every check (`--checks all`): no server
errors, no response that contradicts the schema, no invalid input accepted, no input the
schema allows refused, except the findings listed in KNOWN_FINDINGS."""

import os
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation

from tests.factories import (
    make_alert,
    make_api_key,
    make_checkin_request,
    make_checkin_response,
    make_commitment,
    make_goal,
    make_goal_step,
    make_member,
    make_participant,
)


def test_schema_is_valid_openapi_without_generator_warnings(db):
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import patched_settings
    from drf_spectacular.validation import validate_schema

    from agencies.api.docs import SCHEMA_SETTINGS
    from config.api_urls import v1

    GENERATOR_STATS.reset()
    with patched_settings(SCHEMA_SETTINGS):
        schema = SchemaGenerator(patterns=[path("api/v1/", include(v1))]).get_schema(
            request=None, public=True
        )
        validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    # Every operation documents its body and the shared errors.
    for url, operations in schema["paths"].items():
        assert url.startswith("/api/v1/")
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "429"} <= codes, (url, method)
            if "{" in url:
                assert "404" in codes, (url, method)
            if method == "post":
                assert "409" in codes, (url, method)
            success = [c for c in codes if c.startswith("2")]
            assert success and "content" in operation["responses"][success[0]], (url, method)
            assert operation.get("summary"), (url, method)


def test_schema_endpoint_is_public_json(client):
    response = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    assert b"/api/v1/participants/" in response.content


def test_swagger_ui_works_under_the_csp(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    html = page.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    for source in sources:
        assert source.startswith("/"), source  # our own origin only
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")
    script_url = next(s for s in sources if "script=" in s).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in script.content


# Schemathesis --------------------------------------------------------------------------------


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """As Django's test client does: a WSGI request must not close the test's connection (it
    holds the test transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, agency_a, settings, wsgi_keeps_the_test_connection):
    """Agency A with one of everything, so fuzzed ids and bodies reach real objects."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "api_user": "100000/min"},
    }
    peer = make_member(agency_a)
    participant = make_participant(agency_a, peer=peer)
    checkin, _raw = make_checkin_request(participant)
    response = make_checkin_response(make_participant(agency_a))
    alert = make_alert(participant)
    from agencies.tenancy import agency_scope
    from alliance.checkins.models import Instrument

    with agency_scope(agency_a):
        instrument = Instrument.objects.first()
    goal = make_goal(participant)
    ids = {
        "participants": participant.pk,
        "checkin-requests": checkin.pk,
        "checkin-responses": response.pk,
        "instruments": instrument.pk,
        "alerts": alert.pk,
        "commitments": make_commitment(participant, staff=peer).pk,
        "goals": goal.pk,
        "goals/steps": make_goal_step(goal).pk,
    }
    return SimpleNamespace(
        raw_key=make_api_key(agency_a)[1], ids=ids, participant=participant, goal=goal, peer=peer
    )


# Loaded in-process at collection (the schema view needs no database); cases then call the
# same WSGI application.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
load_all_checks()
ALL_CHECKS = CHECKS.get_all()  # as `--checks all`

# Findings left, each stated exactly (operation, check -> the fields its 400 may name): any
# other finding fails the test (decision 137). A phone number's validity depends on its
# country's numbering plan, which no JSON Schema pattern states; quiet hours must differ and
# come in pairs with what is already stored, and JSON Schema compares no two values, nor
# knows what is stored.
KNOWN_FINDINGS = {
    ("POST", "/api/v1/participants/", "RejectedPositiveData"): {"phone"},
    ("PATCH", "/api/v1/participants/{id}/", "RejectedPositiveData"): {"phone"},
    ("PATCH", "/api/v1/participants/{id}/profile/", "RejectedPositiveData"): {
        "quiet_hours_start",
        "quiet_hours_end",
    },
}


def negative_at(case, location) -> bool:
    """Whether this part of the request was generated to break the schema (then it is sent
    as generated: a made-up id must answer 404, an invalid body 400)."""
    return case.meta is not None and case.meta.is_negative_at(location)


def real_references(case, world) -> None:
    """Ids the fuzzer cannot know (a participant, a staff member, an instrument of this
    agency), and dates the schema states only in words ("in the future"), set to real ones
    in the cases that follow the schema. Negative cases are sent as generated."""
    if not isinstance(case.body, dict) or negative_at(case, ParameterLocation.BODY):
        return
    body = case.body
    references = {
        "participant": world.participant.pk,
        "staff": world.peer.pk,
        "assigned_peer": world.peer.pk,
        "instrument": world.ids["instruments"],
    }
    for name, value in references.items():
        if isinstance(body.get(name), int):
            body[name] = value
    for name in ("due_at", "new_due_at"):
        if isinstance(body.get(name), str):
            body[name] = (timezone.now() + timedelta(days=3)).isoformat()
    if isinstance(body.get("review_on"), str):
        body["review_on"] = (timezone.localdate() + timedelta(days=3)).isoformat()


def is_known(case, response, failure) -> bool:
    allowed = KNOWN_FINDINGS.get((case.method.upper(), case.operation.path, type(failure).__name__))
    try:
        fields = set(response.json()["error"].get("fields", {}))
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return bool(allowed and fields and fields <= allowed)


@schema.parametrize()
@settings(
    max_examples=25,
    # The same cases on every run, so the suite never passes or fails by luck (a number sent
    # as a note was found once in a random run). RAPPORT_FUZZ_EXPLORE=1 draws new cases.
    derandomize=not os.environ.get("RAPPORT_FUZZ_EXPLORE"),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fuzzed_requests_pass_every_check(case, world):
    # The literal segments before {id}: "goals", or "goals/steps" for a goal's step.
    before_id = case.operation.path.removeprefix("/api/v1/").split("{id}", 1)[0]
    resource = "/".join(p for p in before_id.split("/") if p and not p.startswith("{"))
    if case.path_parameters and not negative_at(case, ParameterLocation.PATH):
        if "id" in case.path_parameters:
            case.path_parameters["id"] = world.ids[resource]
        if "participant_pk" in case.path_parameters:
            case.path_parameters["participant_pk"] = world.participant.pk
        if "goal_pk" in case.path_parameters:
            case.path_parameters["goal_pk"] = world.goal.pk
    real_references(case, world)
    # identity: the WSGI transport hands schemathesis the body as sent, and it does not
    # decompress what GZipMiddleware compresses (decision 150); HTTP clients do.
    headers = {"Authorization": f"Bearer {world.raw_key}", "Accept-Encoding": "identity"}
    response = case.call(headers=headers)
    try:
        case.validate_response(response, checks=ALL_CHECKS, headers=headers)
    except BaseExceptionGroup as group:
        if not all(is_known(case, response, failure) for failure in group.exceptions):
            raise
