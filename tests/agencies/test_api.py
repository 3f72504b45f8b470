"""The REST API's base (agencies/api/): authentication, errors, idempotency, throttling, query
counts, and the keys page. The cross-agency walk of every route is in
tests/test_api_cross_agency.py; the schema and schemathesis run in tests/test_api_schema.py."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from agencies.models import ApiKey, IdempotentRequest, Role
from agencies.tenancy import agency_scope
from participants.models import Contact, Participant
from tests.conftest import api_list_queries, assert_error, client_for
from tests.factories import (
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
    from tests.factories import make_agency

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


@pytest.mark.parametrize("path", [p for p, build in LIST_FIXTURES.items() if build], ids=str)
def test_list_queries_do_not_grow_with_rows(
    path, agency_a, api_a, peer_a, django_assert_max_num_queries
):
    build = LIST_FIXTURES[path]
    for _ in range(2):
        build(agency_a, peer_a)
    with_two = api_list_queries(api_a, f"{V1}/{path}")
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
    with_two = api_list_queries(api_a, url)
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


def test_an_error_echoing_a_nul_character_is_answered_and_replayed(agency_a):
    """Found by schemathesis: a 400 whose message repeats a NUL from the request could not be
    stored for replay (PostgreSQL refuses NUL in jsonb) and answered 500."""
    from tests.factories import make_commitment

    key, raw = make_api_key(agency_a, access="read_write")
    commitment = make_commitment(make_participant(agency_a))
    url = f"{V1}/commitments/{commitment.pk}/renegotiate/"
    body = {"new_due_at": "2030-01-01T10:00:00Z", "asked_by": "\x00staff", "reason": "moved"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "nul-1"}
    first = api_client(raw).post(url, body, format="json", **headers)
    again = api_client(raw).post(url, body, format="json", **headers)
    assert_error(first, 400, "invalid")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    # The replay says the same, with the NUL shown as a replacement character.
    assert again.json()["error"]["fields"] == {"asked_by": ['"\ufffdstaff" is not a valid choice.']}
