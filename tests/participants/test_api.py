"""The participants' REST endpoints: records, profiles, consents, status, contacts."""

from agencies.models import AuditEvent
from agencies.tenancy import agency_scope
from tests.conftest import assert_error
from tests.factories import (
    make_participant,
)

V1 = "/api/v1"


# Participants --------------------------------------------------------------------------------


def test_create_participant_validates_like_the_form(agency_a, api_a):
    response = api_a.post(
        f"{V1}/participants/",
        {"preferred_name": "Rosa", "phone": "(202) 555-0143", "language": "es"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+12025550143"
    assert body["time_zone"] == agency_a.time_zone
    assert body["profile"]["language"] == "es"
    assert body["channel_consents"] == {"sms": False, "email": False}
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="participant.created").count() == 1
        assert AuditEvent.objects.filter(action="api.write", actor_label__startswith="api-key:")


def test_validation_errors_have_field_messages(api_a):
    response = api_a.post(
        f"{V1}/participants/",
        {"preferred_name": "  ", "phone": "12", "time_zone": "Mars/Base", "language": "xx"},
    )
    error = assert_error(response, 400, "invalid")
    assert {"preferred_name", "time_zone", "language"} <= set(error["fields"])
    assert all(isinstance(m, str) for messages in error["fields"].values() for m in messages)
    phone = api_a.post(f"{V1}/participants/", {"preferred_name": "A", "phone": "12"})
    assert "phone" in assert_error(phone, 400, "invalid")["fields"]
    assert_error(
        api_a.post(f"{V1}/participants/", "not json", content_type="application/json"),
        400,
        "parse_error",
    )


def test_duplicate_record_number_is_a_field_error(agency_a, api_a):
    make_participant(agency_a, external_id="R-1")
    response = api_a.post(f"{V1}/participants/", {"preferred_name": "B", "external_id": "R-1"})
    assert "external_id" in assert_error(response, 409, "conflict")["fields"]


def test_update_profile_consents_and_status(agency_a, api_a):
    participant = make_participant(agency_a)
    url = f"{V1}/participants/{participant.pk}/"
    changed = api_a.patch(url, {"pronouns": "she/her", "phone": "+34 612 34 56 78"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["phone"] == "+34612345678"
    assert changed.json()["preferred_name"] == participant.preferred_name
    profile = api_a.patch(
        url + "profile/",
        {"recovery_pathways": ["medication"], "quiet_hours_start": "21:00"},
    )
    assert "quiet_hours_end" in assert_error(profile, 400, "invalid")["fields"]
    profile = api_a.patch(
        url + "profile/",
        {
            "recovery_pathways": ["medication"],
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
            "observance_dates": ["2026-12-24"],
        },
    )
    assert profile.status_code == 200, profile.content
    assert profile.json()["observance_dates"] == ["2026-12-24"]
    consents = api_a.put(url + "consents/", {"sms": True, "email": False})
    assert consents.json() == {"sms": True, "email": False}
    assert api_a.get(url).json()["channel_consents"] == {"sms": True, "email": False}
    discharge = api_a.post(url + "status/", {"status": "discharged"})
    assert {"discharged_on", "reason"} <= set(assert_error(discharge, 400, "invalid")["fields"])
    paused = api_a.post(url + "status/", {"status": "paused"})
    assert paused.json()["status"] == "paused"


def test_filtering_and_cursor_pagination(agency_a, api_a):
    for n in range(5):
        make_participant(agency_a, preferred_name=f"Person {n}", status="active")
    make_participant(agency_a, preferred_name="Paused", status="paused")
    page = api_a.get(f"{V1}/participants/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    second = api_a.get(page["next"]).json()
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in page["results"]})
    paused = api_a.get(f"{V1}/participants/", {"status": "paused"}).json()["results"]
    assert [r["preferred_name"] for r in paused] == ["Paused"]
    assert_error(api_a.get(f"{V1}/participants/", {"cursor": "garbage"}), 404, "not_found")
    assert_error(api_a.get(f"{V1}/participants/", {"status": "nope"}), 400, "invalid")


# Contacts ------------------------------------------------------------------------------------


def test_contacts_list_and_create(agency_a, api_a, peer_a):
    participant = make_participant(agency_a)
    url = f"{V1}/participants/{participant.pk}/contacts/"
    missing_staff = api_a.post(url, {"kind": "call", "note": "Talked"})
    assert "staff" in assert_error(missing_staff, 400, "invalid")["fields"]
    created = api_a.post(url, {"kind": "call", "note": "Talked", "staff": peer_a.pk})
    assert created.status_code == 201, created.content
    assert created.json()["staff"] == peer_a.pk
    assert [row["note"] for row in api_a.get(url).json()["results"]] == ["Talked"]
    bad = api_a.post(url, {"kind": "séance", "staff": peer_a.pk, "duration_minutes": 5000})
    assert {"kind", "duration_minutes"} <= set(assert_error(bad, 400, "invalid")["fields"])


def test_check_in_by_text_reply_is_a_profile_setting_a_patch_keeps(agency_a, api_a):
    participant = make_participant(agency_a)
    url = f"{V1}/participants/{participant.pk}/profile/"
    assert api_a.get(url).json()["checkin_by_reply"] is False
    assert api_a.patch(url, {"checkin_by_reply": True}).json()["checkin_by_reply"] is True
    # A change of another field leaves it as it was.
    assert api_a.patch(url, {"language": "es"}).json()["checkin_by_reply"] is True


def test_the_api_accepts_any_real_time_zone_not_only_the_pages_short_list(api_a):
    created = api_a.post(
        f"{V1}/participants/", {"preferred_name": "Rūta", "time_zone": "Europe/Vilnius"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["time_zone"] == "Europe/Vilnius"
    refused = api_a.post(f"{V1}/participants/", {"preferred_name": "Rūta", "time_zone": "Mars"})
    assert refused.status_code == 400 and "time_zone" in refused.json()["error"]["fields"]
