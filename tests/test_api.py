"""The REST API (/api/v1/): authentication, tenancy, resources, errors, idempotency, throttling
and query counts. The cross-agency walk of every route is in test_api_cross_agency.py; the
schema and schemathesis run in test_api_schema.py."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from agencies.models import ApiKey, AuditEvent, IdempotentRequest, Role
from agencies.tenancy import agency_scope
from participants.models import Contact, Participant

from .conftest import client_for
from .factories import (
    api_client,
    make_alert,
    make_api_key,
    make_checkin_response,
    make_goal,
    make_goal_step,
    make_member,
    make_participant,
)

V1 = "/api/v1"


@pytest.fixture
def key_a(agency_a):
    return make_api_key(agency_a)


@pytest.fixture
def api_a(key_a):
    return api_client(key_a[1])


@pytest.fixture
def api_b(agency_b):
    return api_client(make_api_key(agency_b)[1])


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# Authentication ------------------------------------------------------------------------------


def test_without_key_401_with_one_error_shape(db):
    response = api_client().get(f"{V1}/participants/")
    error = assert_error(response, 401, "not_authenticated")
    assert "fields" not in error
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_revoked_or_inactive_agency_key_401(agency_a, key_a):
    assert_error(api_client("rk_nonsense").get(f"{V1}/participants/"), 401, "authentication_failed")
    from agencies.api.keys import api_key_revoke

    api_key_revoke(key=key_a[0], revoked_by=None)
    assert_error(api_client(key_a[1]).get(f"{V1}/participants/"), 401, "authentication_failed")
    _key, raw = make_api_key(agency_a)
    agency_a.is_active = False
    agency_a.save()
    assert_error(api_client(raw).get(f"{V1}/participants/"), 401, "authentication_failed")


def test_key_is_stored_hashed_and_records_last_use(agency_a, key_a, api_a):
    key, raw = key_a
    with agency_scope(agency_a):
        stored = ApiKey.objects.get(pk=key.pk)
    assert (
        raw not in (stored.token_hash, stored.prefix, stored.name) and len(stored.token_hash) == 64
    )
    assert stored.last_used_at is None
    assert api_a.get(f"{V1}/participants/").status_code == 200
    with agency_scope(stored.agency_id):
        stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_management_command_prints_a_working_key_once(agency_a, capsys):
    call_command("create_api_key", "--agency", agency_a.slug, "--name", "EHR sync")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("rk_")
    assert api_client(raw).get(f"{V1}/participants/").status_code == 200
    with agency_scope(agency_a):
        assert ApiKey.objects.get().name == "EHR sync"


def test_session_member_with_agency_header_and_non_member_404(agency_a, agency_b, supervisor_a):
    make_participant(agency_a, preferred_name="Dee")
    client = client_for(supervisor_a.user)
    # One agency only: no header needed.
    rows = client.get(f"{V1}/participants/").json()["results"]
    assert [row["preferred_name"] for row in rows] == ["Dee"]
    ok = client.get(f"{V1}/participants/", headers={"X-Rapport-Agency": agency_a.slug})
    assert ok.status_code == 200
    not_mine = client.get(f"{V1}/participants/", headers={"X-Rapport-Agency": agency_b.slug})
    assert_error(not_mine, 404, "not_found")
    missing = client.get(f"{V1}/participants/", headers={"X-Rapport-Agency": "no-such"})
    assert_error(missing, 404, "not_found")


def test_session_member_of_two_agencies_must_name_one(agency_a, agency_b, supervisor_a):
    make_member(agency_b, Role.PEER, user=supervisor_a.user)
    client = client_for(supervisor_a.user)
    assert_error(client.get(f"{V1}/participants/"), 400, "agency_required")
    assert (
        client.get(f"{V1}/participants/", headers={"X-Rapport-Agency": agency_b.slug}).status_code
        == 200
    )


def test_session_peer_sees_only_their_caseload(agency_a, peer_a):
    mine = make_participant(agency_a, peer=peer_a)
    other = make_participant(agency_a)
    client = client_for(peer_a.user)
    ids = [row["id"] for row in client.get(f"{V1}/participants/").json()["results"]]
    assert ids == [mine.pk]
    assert_error(client.get(f"{V1}/participants/{other.pk}/"), 404, "not_found")
    assert_error(client.get(f"{V1}/participants/{other.pk}/contacts/"), 404, "not_found")


def test_admin_session_without_two_factor_403(agency_a):
    admin = make_member(
        agency_a, Role.ADMIN, user=__import__("tests.factories").factories.make_user()
    )
    assert_error(client_for(admin.user).get(f"{V1}/participants/"), 403, "mfa_required")


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
    assert "external_id" in assert_error(response, 400, "invalid")["fields"]


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
    assert_error(api_a.get(f"{V1}/participants/", {"cursor": "garbage"}), 400, "invalid")
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


def test_responses_instruments_and_alert_actions(agency_a, api_a):
    participant = make_participant(agency_a)
    response = make_checkin_response(participant, scale_value=4)
    alert = make_alert(participant)
    listed = api_a.get(f"{V1}/checkin-responses/", {"participant": participant.pk}).json()
    assert response.pk in [row["id"] for row in listed["results"]]
    instruments = api_a.get(f"{V1}/instruments/").json()["results"]
    assert instruments and instruments[0]["items"]
    url = f"{V1}/alerts/{alert.pk}/"
    assert api_a.get(url).json()["status"] == "open"
    assert api_a.post(url + "acknowledge/").json()["status"] == "acknowledged"
    assert "note" in assert_error(api_a.post(url + "resolve/", {}), 400, "invalid")["fields"]
    resolved = api_a.post(url + "resolve/", {"note": "Called and talked it through"})
    assert resolved.json()["status"] == "resolved"
    assert api_a.get(f"{V1}/alerts/", {"status": "open"}).json()["results"] == []


# Errors --------------------------------------------------------------------------------------


def test_not_found_and_method_not_allowed_shapes(api_a):
    assert_error(api_a.get(f"{V1}/participants/999999/"), 404, "not_found")
    assert_error(api_a.delete(f"{V1}/participants/"), 405, "method_not_allowed")
    assert_error(api_a.get(f"{V1}/participants/99999999999999999999999/"), 404, "not_found")


def test_throttled_per_key_with_the_error_shape(agency_a, key_a, api_a, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "2/min", "api_user": "2/min"},
    }
    assert api_a.get(f"{V1}/instruments/").status_code == 200
    assert api_a.get(f"{V1}/instruments/").status_code == 200
    throttled = api_a.get(f"{V1}/instruments/")
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    # Another key of the same agency has its own budget.
    assert api_client(make_api_key(agency_a)[1]).get(f"{V1}/instruments/").status_code == 200


# Idempotency ---------------------------------------------------------------------------------


def test_idempotency_replays_and_conflicts(agency_a, api_a):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-rosa-1"}
    first = api_a.post(f"{V1}/participants/", {"preferred_name": "Rosa"}, **headers)
    again = api_a.post(f"{V1}/participants/", {"preferred_name": "Rosa"}, **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    other = api_a.post(f"{V1}/participants/", {"preferred_name": "Someone else"}, **headers)
    assert_error(other, 409, "idempotency_key_reused")
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1
    bad = api_a.post(
        f"{V1}/participants/", {"preferred_name": "X"}, HTTP_IDEMPOTENCY_KEY="has space"
    )
    assert "Idempotency-Key" in assert_error(bad, 400, "invalid")["fields"]


def test_idempotency_is_per_caller_and_expires(agency_a, api_a, time_machine=None):
    import time_machine as tm
    from django.utils import timezone

    headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
    api_a.post(f"{V1}/participants/", {"preferred_name": "A"}, **headers)
    other_key = api_client(make_api_key(agency_a)[1])
    assert (
        other_key.post(f"{V1}/participants/", {"preferred_name": "B"}, **headers).status_code == 201
    )
    with tm.travel(timezone.now() + timezone.timedelta(hours=25)):
        later = api_a.post(f"{V1}/participants/", {"preferred_name": "C"}, **headers)
        assert later.status_code == 201 and "Idempotent-Replayed" not in later
    with agency_scope(agency_a):
        assert Participant.objects.count() == 3


def test_checkin_link_is_not_stored_for_replays(agency_a, api_a):
    participant = make_participant(agency_a)
    headers = {"HTTP_IDEMPOTENCY_KEY": "link-1"}
    first = api_a.post(f"{V1}/checkin-requests/", {"participant": participant.pk}, **headers)
    again = api_a.post(f"{V1}/checkin-requests/", {"participant": participant.pk}, **headers)
    assert first.json()["url"] and again.json()["url"] is None
    assert again.json()["id"] == first.json()["id"]
    with agency_scope(agency_a):
        stored = IdempotentRequest.objects.get()
    assert stored.response_body["url"] is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_once():
    from .factories import make_agency

    agency = make_agency("agency-concurrent")
    _key, raw = make_api_key(agency)
    statuses, bodies, barrier = [], [], threading.Barrier(8)

    def post():
        try:
            barrier.wait()
            response = api_client(raw).post(
                f"{V1}/participants/", {"preferred_name": "Once"}, HTTP_IDEMPOTENCY_KEY="race"
            )
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    created_ids = {body["id"] for body in bodies if "id" in body}
    assert len(created_ids) == 1
    with agency_scope(agency):
        assert Participant.objects.count() == 1
        assert IdempotentRequest.objects.count() == 1


# Query counts --------------------------------------------------------------------------------


LIST_FIXTURES = {
    "participants/": lambda agency, peer: make_participant(agency),
    "checkin-requests/": lambda agency, peer: __import__(
        "tests.factories", fromlist=["x"]
    ).make_checkin_request(make_participant(agency)),
    "checkin-responses/": lambda agency, peer: make_checkin_response(make_participant(agency)),
    "alerts/": lambda agency, peer: make_alert(make_participant(agency)),
    "goals/": lambda agency, peer: make_goal_step(make_goal(make_participant(agency, peer=peer))),
    "instruments/": None,
}


def _queries(api, url) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, {"page_size": 50})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", [p for p, build in LIST_FIXTURES.items() if build], ids=str)
def test_list_queries_do_not_grow_with_rows(
    path, agency_a, api_a, peer_a, django_assert_max_num_queries
):
    build = LIST_FIXTURES[path]
    for _ in range(2):
        build(agency_a, peer_a)
    with_two = _queries(api_a, f"{V1}/{path}")
    for _ in range(18):
        build(agency_a, peer_a)
    with django_assert_max_num_queries(with_two):
        api_a.get(f"{V1}/{path}", {"page_size": 50})


def test_contact_list_queries_do_not_grow(agency_a, api_a, peer_a, django_assert_max_num_queries):
    participant = make_participant(agency_a)

    def log(n):
        with agency_scope(agency_a):
            Contact.objects.bulk_create(
                [Contact(agency=agency_a, participant=participant, staff=peer_a) for _ in range(n)]
            )

    url = f"{V1}/participants/{participant.pk}/contacts/"
    log(2)
    with_two = _queries(api_a, url)
    log(18)
    with django_assert_max_num_queries(with_two):
        api_a.get(url, {"page_size": 50})


# Browser pages -------------------------------------------------------------------------------


def test_admin_creates_lists_and_revokes_keys_in_the_browser(
    agency_a, admin_a_client, peer_a_client
):
    url = f"/a/{agency_a.slug}/api-keys/"
    assert peer_a_client.get(url).status_code == 403
    assert admin_a_client.get(url).status_code == 200
    assert admin_a_client.post(url, {"name": " "}).status_code == 400
    created = admin_a_client.post(
        url, {"name": "Reports", "access": "read", "resources": ["instruments", "alerts"]}
    )
    assert created.status_code == 200
    raw = created.context["raw_key"]
    assert raw.encode() in created.content
    assert "Read only" in created.text and "Check-in questions, Alerts" in created.text
    assert created["Cache-Control"].startswith("max-age=0")
    listing = admin_a_client.get(url)
    assert b"Reports" in listing.content and raw.encode() not in listing.content
    assert "Read only" in listing.text and "Check-in questions, Alerts" in listing.text
    assert api_client(raw).get(f"{V1}/instruments/").status_code == 200
    assert api_client(raw).get(f"{V1}/participants/").status_code == 403  # not its resource
    with agency_scope(agency_a):
        key = ApiKey.objects.get(name="Reports")
    revoked = admin_a_client.post(f"{url}{key.pk}/revoke/")
    assert revoked.status_code == 302
    assert api_client(raw).get(f"{V1}/instruments/").status_code == 401


# Commitments and goals --------------------------------------------------------------------------


def test_commitments_through_the_api_keep_the_ledger(agency_a, peer_a):
    from django.utils import timezone

    participant = make_participant(agency_a, peer=peer_a)
    client = api_client(make_api_key(agency_a)[1])
    due = (timezone.now() + timedelta(days=2)).isoformat()
    created = client.post(
        "/api/v1/commitments/",
        {
            "participant": participant.pk,
            "what": "Call on Friday",
            "due_at": due,
            "staff": peer_a.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    commitment_id = created.json()["id"]
    later = (timezone.now() + timedelta(days=3)).isoformat()
    moved = client.post(
        f"/api/v1/commitments/{commitment_id}/renegotiate/",
        {"new_due_at": later, "asked_by": "participant", "reason": "Clinic day"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    kept = client.post(f"/api/v1/commitments/{commitment_id}/kept/")
    assert kept.json()["status"] == "kept" and kept.json()["kept_on_time"] is True
    again = client.post(f"/api/v1/commitments/{commitment_id}/missed/")
    assert again.status_code == 409 and again.json()["error"]["code"]
    assert [e["kind"] for e in kept.json()["events"]] == ["created", "renegotiated", "kept"]
    past = client.post(
        "/api/v1/commitments/",
        {
            "participant": participant.pk,
            "what": "x",
            "due_at": "2020-01-01T00:00:00Z",
            "staff": peer_a.pk,
        },
        format="json",
    )
    assert past.status_code == 400 and "due_at" in past.json()["error"]["fields"]


def test_goals_through_the_api(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    client = api_client(make_api_key(agency_a)[1])
    created = client.post(
        "/api/v1/goals/",
        {"participant": participant.pk, "words": "Walk every morning"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["needs_agreement"] is True
    listed = client.get(f"/api/v1/goals/?participant={participant.pk}").json()
    assert [g["words"] for g in listed["results"]] == ["Walk every morning"]
    # Credited to the key, not to the participant's link (the service's default for no user).
    [event] = _goal_events(agency_a, "goal.created")
    assert event.actor_label.startswith("api-key:")
    # The staff page's rules: no review date in the past.
    yesterday = (agency_a.today() - timedelta(days=1)).isoformat()
    past = client.post(
        "/api/v1/goals/",
        {"participant": participant.pk, "words": "Cook on Sundays", "review_on": yesterday},
        format="json",
    )
    error = assert_error(past, 400, "invalid")
    assert error["fields"] == {"review_on": ["Choose today or a later date."]}
    assert len(_goal_events(agency_a, "goal.created")) == 1


def _goal_events(agency, action, **filters) -> list[AuditEvent]:
    with agency_scope(agency):
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def _agreed_goal(participant, words="Walk every morning"):
    """A goal the participant has agreed to through their portal link."""
    from alliance import goals

    goal = make_goal(participant, words=words)
    with agency_scope(participant.agency):
        goals.goal_agree(goal=goal, seen=goals.words_digest(goal.words))
    return goal


def test_goal_edit_keeps_what_the_participant_agreed_to(agency_a, peer_a, key_a, api_a):
    participant = make_participant(agency_a, peer=peer_a)
    goal = _agreed_goal(participant)
    url = f"{V1}/goals/{goal.pk}/"
    agreed = api_a.get(url).json()
    assert agreed["needs_agreement"] is False and agreed["agreed_at"]

    # Their reasons, the status or the review date are staff's to change: still agreed.
    review_on = (agency_a.today() + timedelta(days=14)).isoformat()
    edited = api_a.patch(url, {"why_it_matters": "For my kids", "review_on": review_on})
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["why_it_matters"] == "For my kids" and body["review_on"] == review_on
    assert body["words"] == "Walk every morning" and body["needs_agreement"] is False

    # New words: the participant is asked to agree again; what they agreed to is kept.
    reworded = api_a.patch(url, {"words": "Walk every morning with my dog"}).json()
    assert reworded["needs_agreement"] is True and reworded["agreed_at"] == agreed["agreed_at"]
    label = f"api-key:{key_a[0].pk}"
    [needed] = _goal_events(agency_a, "goal.agreement_needed")
    assert needed.actor_id is None and needed.actor_label == label
    assert needed.object_id == str(goal.pk)
    updates = _goal_events(agency_a, "goal.updated")
    assert [event.actor_label for event in updates] == [label, label]
    assert _goal_events(agency_a, "goal.review_planned", actor_label=label)

    # The same values again, or read-only fields, change nothing and record nothing.
    again = api_a.patch(
        url,
        {"words": "Walk every morning with my dog", "needs_agreement": False, "agreed_at": None},
    )
    assert again.status_code == 200 and again.json() == reworded
    assert len(_goal_events(agency_a, "goal.updated")) == 2
    # The staff page shows the same goal.
    from alliance.models import RecoveryGoal

    with agency_scope(agency_a):
        stored = RecoveryGoal.objects.get(pk=goal.pk)
    assert stored.agreed_words == "Walk every morning" and stored.needs_agreement


def test_goal_edit_validates_like_the_staff_page(agency_a, api_a):
    from alliance.models import RecoveryGoal

    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/"
    yesterday = agency_a.today() - timedelta(days=1)
    error = assert_error(
        api_a.patch(
            url,
            {"words": " ", "status": "done", "review_on": yesterday.isoformat(), "x": 1},
        ),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"words", "status"}
    past = assert_error(api_a.patch(url, {"review_on": yesterday.isoformat()}), 400, "invalid")
    assert past["fields"] == {"review_on": ["Choose today or a later date."]}
    too_long = assert_error(api_a.patch(url, {"words": "x" * 1001}), 400, "invalid")
    assert list(too_long["fields"]) == ["words"]
    # A review date already in the past may stay as it is (as on the staff page).
    with agency_scope(agency_a):
        RecoveryGoal.objects.filter(pk=goal.pk).update(review_on=yesterday)
    kept = api_a.patch(url, {"status": "achieved", "review_on": yesterday.isoformat()})
    assert kept.status_code == 200, kept.content
    assert kept.json()["status"] == "achieved"
    assert len(_goal_events(agency_a, "goal.status_changed")) == 1
    cleared = api_a.patch(url, {"review_on": None})
    assert cleared.status_code == 200 and cleared.json()["review_on"] is None
    assert_error(api_a.put(url, {"words": "x"}), 405, "method_not_allowed")
    assert_error(api_a.delete(url), 405, "method_not_allowed")


def test_goal_steps_are_added_and_ticked(agency_a, key_a, api_a):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    assert api_a.get(url).json()["results"] == []
    first = api_a.post(url, {"text": "Find my walking shoes"})
    assert first.status_code == 201, first.content
    second = api_a.post(url, {"text": "Walk to the corner"}).json()
    # The same text again adds nothing (a double submit).
    again = api_a.post(url, {"text": "Find my walking shoes"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    listed = api_a.get(url).json()["results"]
    assert [(s["position"], s["text"], s["done"]) for s in listed] == [
        (0, "Find my walking shoes", False),
        (1, "Walk to the corner", False),
    ]
    assert api_a.get(f"{V1}/goals/{goal.pk}/").json()["steps"] == listed
    label = f"api-key:{key_a[0].pk}"
    assert [e.actor_label for e in _goal_events(agency_a, "goal.step_added")] == [label, label]

    step_url = f"{url}{second['id']}/"
    done = api_a.patch(step_url, {"done": True})
    assert done.status_code == 200 and done.json()["done"] is True and done.json()["done_at"]
    assert api_a.patch(step_url, {"done": True}).json()["done_at"] == done.json()["done_at"]
    [ticked] = _goal_events(agency_a, "goal.step_done")
    assert ticked.actor_label == label and ticked.object_id == str(second["id"])
    undone = api_a.patch(step_url, {"done": False}).json()
    assert undone["done"] is False and undone["done_at"] is None
    assert len(_goal_events(agency_a, "goal.step_undone")) == 1
    assert api_a.patch(step_url, {}).json() == undone
    assert _goal_events(agency_a, "api.write", actor_label=label)


def test_goal_step_errors_have_the_one_shape(agency_a, api_a):
    goal = make_goal(make_participant(agency_a))
    step = make_goal_step(goal, "Call the clinic")
    url = f"{V1}/goals/{goal.pk}/steps/"
    blank = assert_error(api_a.post(url, {"text": "  "}), 400, "invalid")
    assert list(blank["fields"]) == ["text"]
    long = assert_error(api_a.post(url, {"text": "x" * 301}), 400, "invalid")
    assert list(long["fields"]) == ["text"]
    step_url = f"{url}{step.pk}/"
    rename = assert_error(api_a.patch(step_url, {"text": "Call them"}), 400, "invalid")
    assert rename["fields"] == {
        "text": ["A step's text cannot be changed; add a new step instead."]
    }
    not_bool = assert_error(api_a.patch(step_url, {"done": "maybe"}), 400, "invalid")
    assert list(not_bool["fields"]) == ["done"]
    assert_error(api_a.delete(step_url), 405, "method_not_allowed")
    # A step addressed through another goal (of the same agency) is not there.
    other = make_goal(make_participant(agency_a))
    assert_error(api_a.get(f"{V1}/goals/{other.pk}/steps/{step.pk}/"), 404, "not_found")
    assert_error(
        api_a.patch(f"{V1}/goals/{other.pk}/steps/{step.pk}/", {"done": True}), 404, "not_found"
    )
    assert_error(api_a.post(f"{V1}/goals/999999/steps/", {"text": "x"}), 404, "not_found")


def test_goal_step_create_honours_the_idempotency_key(agency_a, api_a):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "step-1"}
    first = api_a.post(url, {"text": "Buy a bus pass"}, **headers)
    again = api_a.post(url, {"text": "Buy a bus pass"}, **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    other = api_a.post(url, {"text": "Something else"}, **headers)
    assert_error(other, 409, "idempotency_key_reused")
    assert len(_goal_events(agency_a, "goal.step_added")) == 1
    assert len(_goal_events(agency_a, "api.write")) == 1


def test_session_peer_reaches_goals_of_their_caseload_only(agency_a, peer_a):
    mine = make_goal(make_participant(agency_a, peer=peer_a))
    other = make_goal(make_participant(agency_a))
    step = make_goal_step(other)
    client = client_for(peer_a.user)
    ids = [row["id"] for row in client.get(f"{V1}/goals/").json()["results"]]
    assert ids == [mine.pk]
    assert client.get(f"{V1}/goals/{mine.pk}/steps/").status_code == 200
    assert_error(client.get(f"{V1}/goals/{other.pk}/"), 404, "not_found")
    assert_error(client.get(f"{V1}/goals/{other.pk}/steps/"), 404, "not_found")
    assert_error(client.get(f"{V1}/goals/{other.pk}/steps/{step.pk}/"), 404, "not_found")


def test_goal_step_list_queries_do_not_grow(agency_a, api_a, django_assert_max_num_queries):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    for _ in range(2):
        make_goal_step(goal)
    with_two = _queries(api_a, url)
    for _ in range(18):
        make_goal_step(goal)
    with django_assert_max_num_queries(with_two):
        response = api_a.get(url, {"page_size": 50})
    assert len(response.json()["results"]) == 20
