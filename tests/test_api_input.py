"""Issue 15, point 8: the API refuses what it does not take, in its own JSON error shape."""

import importlib
import json

import pytest
from rest_framework import serializers

from agencies.api.serializers import RefuseUnknownFields
from agencies.tenancy import agency_scope
from participants.models import Participant
from tests.factories import make_participant


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()["error"]


# (a) Unknown fields ----------------------------------------------------------------------


def test_unknown_fields_in_a_create_are_refused_by_name(api_a, agency_a):
    body = {"preferred_name": "Zed Q", "is_superuser": True, "agency": 999, "id": 5}
    response = api_a.post("/api/v1/participants/", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert set(error["fields"]) == {"is_superuser", "agency", "id"}
    with agency_scope(agency_a):
        assert not Participant.objects.filter(preferred_name="Zed Q").exists()


def test_unknown_fields_in_an_update_are_refused_by_name(api_a, agency_a):
    participant = make_participant(agency_a, preferred_name="Ann Lee")
    response = api_a.patch(
        f"/api/v1/participants/{participant.pk}/",
        {"preferred_name": "Changed", "status": "discharged"},
        format="json",
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"status"}
    with agency_scope(agency_a):
        participant.refresh_from_db()
    assert participant.preferred_name == "Ann Lee"


def test_unknown_fields_are_named_beside_the_other_errors(api_a, agency_a):
    response = api_a.post(
        "/api/v1/participants/", {"preferred_name": "", "agency": 1}, format="json"
    )
    assert set(error_of(response)["fields"]) == {"preferred_name", "agency"}


def test_a_number_where_the_schema_says_text_is_refused(api_a, agency_a):
    """DRF would store 35797253231910936576 as the text "35797253231910936576"."""
    participant = make_participant(agency_a, preferred_name="Ann Lee")
    response = api_a.patch(
        f"/api/v1/participants/{participant.pk}/",
        {"preferred_name": 35797253231910936576, "pronouns": "she/her"},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"preferred_name": ["Not a valid string."]}
    with agency_scope(agency_a):
        participant.refresh_from_db()
    assert (participant.preferred_name, participant.pronouns) == ("Ann Lee", "")


def test_every_api_serializer_refuses_unknown_fields():
    """One mechanism for every serializer: each one of the API modules derives from
    agencies.api.serializers (a new one that does not fails here)."""
    for module in (
        "participants.api",
        "alliance.checkins.api",
        "alliance.commitments.api",
        "alliance.goals.api",
        "agencies.api.schema",
    ):
        importlib.import_module(module)
    found = []

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.split(".")[0] in {"participants", "alliance", "agencies"}:
                found.append(sub)
            walk(sub)

    walk(serializers.BaseSerializer)
    assert len(found) > 15
    assert [cls for cls in found if not issubclass(cls, RefuseUnknownFields)] == []


# (b) A body too large --------------------------------------------------------------------


def test_a_ten_megabyte_body_answers_the_api_json_error(api_a):
    body = json.dumps({"preferred_name": "x" * (10 * 1024 * 1024)})
    response = api_a.generic("POST", "/api/v1/participants/", body, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


# (c) Ids that are not numbers, and anything else no route matches -----------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/participants/null,null/",
        "/api/v1/participants/abc/",
        "/api/v1/goals/1.5/steps/",
        "/api/v1/nothing-here/",
    ],
)
def test_a_url_no_route_matches_answers_the_api_json_404(api_a, url):
    response = api_a.get(url)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found."}
    assert "no-store" in response["Cache-Control"]


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
