"""Agency admins manage their staff: roles, removal (which signs the person out), audit."""

import pytest
from django.test import Client

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, make_agency, make_member

pytestmark = pytest.mark.django_db


def test_staff_page_lists_members_and_open_invitations(
    admin_a_client, agency_a, peer_a, admin_b, django_assert_max_num_queries
):
    for _ in range(5):
        make_member(agency_a, Role.PEER)
    with django_assert_max_num_queries(16):
        response = admin_a_client.get("/a/agency-a/staff/")
    assert response.status_code == 200
    assert peer_a.user.email in response.text
    assert admin_b.user.email not in response.text


def test_staff_page_query_count_does_not_grow_with_staff(
    admin_a_client, agency_a, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_a_client.get("/a/agency-a/staff/")  # first request of a session does extra work
    with CaptureQueriesContext(connection) as few:
        admin_a_client.get("/a/agency-a/staff/")
    for _ in range(20):
        make_member(agency_a, Role.PEER)
    with django_assert_num_queries(len(few.captured_queries)):
        admin_a_client.get("/a/agency-a/staff/")


def test_admin_changes_a_role_and_it_is_audited(admin_a_client, agency_a, peer_a):
    response = admin_a_client.post(f"/a/agency-a/staff/{peer_a.pk}/", {"role": Role.SUPERVISOR})
    assert response.status_code == 302
    with agency_scope(agency_a):
        peer_a.refresh_from_db()
        assert peer_a.role == Role.SUPERVISOR
        event = AuditEvent.objects.get(action="membership.role_changed")
    assert event.object_id == str(peer_a.pk) and event.request_id


def test_last_admin_cannot_step_down(admin_a_client, agency_a, admin_a):
    response = admin_a_client.post(f"/a/agency-a/staff/{admin_a.pk}/", {"role": Role.PEER})
    assert response.status_code == 400
    assert "at least one active admin" in response.context["form"].errors["role"][0]
    with agency_scope(agency_a):
        admin_a.refresh_from_db()
    assert admin_a.role == Role.ADMIN


def test_removing_access_ends_the_persons_sessions_at_once(admin_a_client, agency_a):
    peer = make_member(agency_a, Role.PEER)
    peer_browser = Client()
    # A real sign-in, so allauth records the session it can later end.
    assert (
        peer_browser.post(
            "/accounts/login/", {"login": peer.user.email, "password": TEST_PASSWORD}
        ).status_code
        == 302
    )
    assert peer_browser.get("/a/agency-a/").status_code == 200

    response = admin_a_client.post(f"/a/agency-a/staff/{peer.pk}/deactivate/")
    assert response.status_code == 302
    after = peer_browser.get("/a/agency-a/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")


def test_admin_cannot_remove_themselves(admin_a_client, admin_a):
    response = admin_a_client.post(f"/a/agency-a/staff/{admin_a.pk}/deactivate/")
    assert response.status_code == 400 and "cannot deactivate yourself" in response.text


def test_removed_member_no_longer_sees_the_agency(admin_a_client, agency_a, peer_a):
    admin_a_client.post(f"/a/agency-a/staff/{peer_a.pk}/deactivate/")
    assert client_for(peer_a.user).get("/a/agency-a/").status_code == 404


@pytest.mark.parametrize("path", ["staff/", "settings/", "staff/invite/"])
def test_peers_and_supervisors_get_403_on_admin_pages(path, agency_a, peer_a, supervisor_a):
    for member in (peer_a, supervisor_a):
        response = client_for(member.user).get(f"/a/agency-a/{path}")
        assert response.status_code == 403
        assert "Your role does not include this" in response.text


def test_admin_edits_agency_settings_with_field_errors(admin_a_client, agency_a):
    form = {
        "name": "Agency A",
        "time_zone": "Mars/Olympus",
        "default_language": "es",
        "invitation_expiry_days": 7,
        "checkin_link_expiry_days": 99,
        "portal_link_expiry_days": 30,
        "alert_total_below_percent": 80,
        "alert_drop_percent": 10,
        "alert_item_at_or_below": 2,
        "alert_missed_in_a_row": 2,
        "commitment_first_reminder_hours": 24,
        "commitment_second_reminder_hours": 1,
        "commitment_grace_minutes": 60,
    }
    bad = admin_a_client.post("/a/agency-a/settings/", form)
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"time_zone", "checkin_link_expiry_days"}
    agency_a.refresh_from_db()
    assert agency_a.default_language == "en"  # nothing half-saved

    good = admin_a_client.post(
        "/a/agency-a/settings/",
        {**form, "time_zone": "Europe/Madrid", "checkin_link_expiry_days": 5},
    )
    assert good.status_code == 302
    agency_a.refresh_from_db()
    assert (agency_a.time_zone, agency_a.checkin_link_expiry_days) == ("Europe/Madrid", 5)


# The header's agency switcher ------------------------------------------------------------------

SWITCH = "Switch agency"


def test_switcher_shows_only_while_the_person_has_another_active_agency(agency_a, agency_b):
    member_a = make_member(agency_a, Role.SUPERVISOR)
    browser = client_for(member_a.user)
    assert SWITCH not in browser.get("/a/agency-a/").text

    member_b = make_member(agency_b, Role.PEER, user=member_a.user)
    assert SWITCH in browser.get("/a/agency-a/").text
    assert SWITCH in browser.get("/a/agency-b/").text

    with agency_scope(agency_b):
        member_b.is_active = False
        member_b.save()
    assert SWITCH not in browser.get("/a/agency-a/").text

    with agency_scope(agency_b):
        member_b.is_active = True
        member_b.save()
    agency_b.is_active = False
    agency_b.save()
    assert SWITCH not in browser.get("/a/agency-a/").text


def test_switcher_costs_no_query_of_its_own(agency_a, agency_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member_a = make_member(agency_a, Role.SUPERVISOR)
    make_member(agency_b, Role.PEER, user=member_a.user)
    browser = client_for(member_a.user)
    browser.get("/a/agency-a/participants/")  # first request of a session does extra work
    with CaptureQueriesContext(connection) as page:
        response = browser.get("/a/agency-a/participants/")
    assert SWITCH in response.text
    # The agency is read once, with the membership (AgencyMiddleware), and not again.
    assert sum('FROM "agencies_agency"' in q["sql"] for q in page.captured_queries) == 0
    assert sum('"agencies_agency"' in q["sql"] for q in page.captured_queries) == 1


def test_invitation_page_still_offers_the_switcher_to_a_member_of_two_agencies(agency_a, agency_b):
    from tests.factories import make_invitation

    agency_c = make_agency("agency-c")
    person = make_member(agency_a, Role.PEER).user
    make_member(agency_b, Role.PEER, user=person)
    _invitation, raw = make_invitation(agency_c, email=person.email)
    page = client_for(person).get(f"/invitations/{raw}/")
    assert "Agency agency-c" in page.text and SWITCH in page.text
