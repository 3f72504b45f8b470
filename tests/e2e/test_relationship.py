"""Issue 14, points 7-9, in a real browser: a supervisor imports a file whose dates read two
ways and assigns a peer; the participant sees their whole relationship in the portal; staff
choose their own language."""

import pytest

from agencies.models import Role
from agencies.tenancy import agency_scope
from participants.models import Participant, ParticipantImport
from participants.tasks import participant_import_run
from tests.e2e.conftest import (
    PHONE,
    assert_no_axe_violations,
    assert_no_axe_violations_scripted,
    assert_no_sideways_scrolling,
    browser_pages,
    screenshot,
    sign_in,
)
from tests.factories import TEST_PASSWORD, make_member, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FILE = (
    "Record number,Preferred name,Email,Enrolment date,Peer\n"
    "R-1,Ana,ana@example.org,03/02/2026,\n"
    "R-2,Bo,bo@example.org,2026-01-05,{other}\n"
    "R-3,Cy,cy@example.org,04/02/2026,nobody@example.org\n"
)


@pytest.fixture
def form_pages(browser, live_server):
    """Like `new_page`, where a form answered with its errors (400) is expected."""
    with browser_pages(browser, base_url=live_server.url, expected_statuses=(400, 404)) as make:
        yield make


@pytest.fixture
def peers(agency_a):
    rosa = make_member(
        agency_a,
        Role.PEER,
        user=make_user("rosa.delgado@example.org", first_name="Rosa", last_name="Delgado"),
    )
    lee = make_member(
        agency_a,
        Role.PEER,
        user=make_user("jordan.lee@example.org", first_name="Jordan", last_name="Lee"),
    )
    return rosa, lee


def test_an_import_assigns_peers_and_asks_for_the_files_date_order(form_pages, agency_a, peers):
    rosa, lee = peers
    supervisor = make_member(agency_a, Role.SUPERVISOR, user=make_user("sup@example.org"))
    page = form_pages()
    sign_in(page, supervisor.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/import/")
    data = FILE.format(other=lee.user.email).encode()
    page.get_by_label("CSV file").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_label("Peer specialist for every row").select_option(label="Rosa Delgado")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_url("**/mapping/")
    assert page.get_by_label("Peer specialist (email)").input_value() == "Peer"

    # Nothing chosen for the dates: refused, naming the rows, nothing imported.
    page.get_by_role("button", name="Preview the import").click()
    error = page.locator(".errorlist", has_text="03/02/2026")
    assert "(rows 2 and 4)" in error.inner_text()
    assert "nothing has been imported" in error.inner_text()
    assert_no_axe_violations(page)
    screenshot(page, "import-date-order", full_page=True)

    page.get_by_label("Day first (31/12/2026)").check()
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url("**/preview/")
    main = page.locator("main").inner_text()
    assert "Rosa Delgado" in main and "Day first (31/12/2026)" in main
    assert "Not the email of an active peer specialist of this agency." in main
    assert_no_axe_violations(page)
    screenshot(page, "import-preview", full_page=True)

    page.get_by_role("button", name="Run import").click()
    page.wait_for_url("**/participants/import/*/")
    with agency_scope(agency_a):
        participant_import = ParticipantImport.objects.get()
    participant_import_run(agency_a.pk, participant_import.pk)  # what the worker does
    page.reload()
    assert page.locator("#created-count").inner_text() == "2"
    assert "Row 4, Peer specialist (email)" in page.locator("main").inner_text()
    with agency_scope(agency_a):
        people = {
            p.external_id: (p.enrolled_on.isoformat(), p.assigned_peer_id)
            for p in Participant.objects.all()
        }
    assert people == {"R-1": ("2026-02-03", rosa.pk), "R-2": ("2026-01-05", lee.pk)}


def test_the_participant_sees_promises_kept_and_their_checkins_on_a_phone(
    new_page, agency_a, peers
):
    from alliance.commitments.services import commitment_close
    from tests.factories import make_checkin_response, make_commitment, make_participant
    from tests.portal.test_portal import issue_link

    rosa, _lee = peers
    marcus = make_participant(agency_a, peer=rosa, preferred_name="Marcus")
    for days, value in ((42, 5), (35, 4), (28, 2), (21, 3), (14, 4), (7, 4), (0, 5)):
        make_checkin_response(marcus, scale_value=value, days_ago=days)
    kept = make_commitment(marcus, staff=rosa, hours_ahead=1, what="Call about the housing form")
    with agency_scope(agency_a):
        commit = commitment_close(commitment=kept, outcome="kept", by=rosa.user)
    assert commit.kept_on_time
    make_commitment(marcus, staff=rosa, hours_ahead=50, what="Meet at the library on Thursday")

    person = new_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    person.goto(f"/p/{issue_link(marcus, by=rosa.user)}/")
    promises = person.get_by_role("region", name="What we promised you")
    assert "Kept on time" in promises.inner_text()
    assert "Upcoming" in promises.inner_text()
    checkins = person.get_by_role("region", name="Your check-ins")
    chart = checkins.get_by_role(
        "img", name="How our work together felt to you, check-in by check-in"
    )
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] <= PHONE["width"]
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)
    # Without JavaScript the page cannot be scrolled from a script: go to the section's anchor.
    person.goto(person.url + "#promises-h")
    screenshot(person, "portal-relationship-phone")
