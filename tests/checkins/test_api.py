"""The check-ins' REST endpoints: links, responses, instruments, alert actions."""

from django.test import Client

from tests.conftest import assert_error
from tests.factories import (
    make_alert,
    make_checkin_response,
    make_participant,
)

V1 = "/api/v1"


# Check-ins -----------------------------------------------------------------------------------


def test_checkin_request_url_is_returned_once(agency_a, api_a):
    participant = make_participant(agency_a)
    created = api_a.post(f"{V1}/checkin-requests/", {"participant": participant.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"].startswith("http://testserver/c/") and body["status"] == "open"
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert Client().get(f"/c/{token}/").status_code == 200  # the link works
    detail = api_a.get(f"{V1}/checkin-requests/{body['id']}/").json()
    assert "url" not in detail
    listed = api_a.get(f"{V1}/checkin-requests/").json()["results"]
    assert all("url" not in row for row in listed)
    revoked = api_a.post(f"{V1}/checkin-requests/{body['id']}/revoke/")
    assert revoked.json()["status"] == "revoked"
    assert Client().get(f"/c/{token}/").status_code in (404, 410)  # the link is dead


def test_checkin_request_for_unknown_participant_is_a_field_error(agency_b, api_a):
    other = make_participant(agency_b)
    response = api_a.post(f"{V1}/checkin-requests/", {"participant": other.pk})
    assert "participant" in assert_error(response, 400, "invalid")["fields"]


def test_no_checkin_request_for_a_discharged_participant(agency_a, api_a):
    participant = make_participant(agency_a, status="discharged")
    response = api_a.post(f"{V1}/checkin-requests/", {"participant": participant.pk})
    fields = assert_error(response, 400, "invalid")["fields"]
    assert "discharged" in " ".join(fields["participant"])


def test_responses_instruments_and_alert_actions(agency_a, api_a):
    participant = make_participant(agency_a)
    response = make_checkin_response(participant, scale_value=4)
    alert = make_alert(participant)
    listed = api_a.get(f"{V1}/checkin-responses/", {"participant": participant.pk}).json()
    assert response.pk in [row["id"] for row in listed["results"]]
    instruments = api_a.get(f"{V1}/instruments/").json()["results"]
    assert instruments and instruments[0]["items"]
    url = f"{V1}/alerts/{alert.pk}/"
    body = api_a.get(url).json()
    assert body["status"] == "open" and body["due_at"] and body["supervisor_requested_at"] is None
    assert body["owner"] is None  # the participant has no peer
    assert api_a.post(url + "acknowledge/").json()["status"] == "acknowledged"
    assert "note" in assert_error(api_a.post(url + "resolve/", {}), 400, "invalid")["fields"]
    resolved = api_a.post(url + "resolve/", {"note": "Called and talked it through"})
    assert resolved.json()["status"] == "resolved"
    assert api_a.get(f"{V1}/alerts/", {"status": "open"}).json()["results"] == []
