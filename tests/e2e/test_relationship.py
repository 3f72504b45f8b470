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


def test_staff_choose_their_language_and_the_agreement_reaches_each_participant_in_theirs(
    new_page, agency_a, peers
):
    from tests.factories import TOTP_SECRET, make_participant
    from tests.portal.test_portal import issue_link

    rosa, _lee = peers
    admin = make_member(
        agency_a, Role.ADMIN, user=make_user("sam.okafor@example.org", mfa=True, first_name="Sam")
    )
    staff = new_page(extra_http_headers={"Accept-Language": "en"})
    sign_in(staff, admin.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)
    staff.get_by_role("link", name="Your profile").click()
    staff.wait_for_url("**/me/profile/")
    assert staff.get_by_label("The browser's language").is_checked()
    assert_no_axe_violations(staff)
    staff.get_by_label("Spanish").check()
    staff.get_by_role("button", name="Save").click()
    staff.wait_for_url("**/me/profile/")
    # From now on, every page speaks Spanish, whatever the browser asks for.
    assert staff.get_by_role("status").inner_text() == "Tu idioma está guardado."
    assert staff.locator("html").get_attribute("lang") == "es"
    assert staff.get_by_label("Español").is_checked()
    assert_no_axe_violations(staff)
    screenshot(staff, "staff-profile-language")

    staff.get_by_role("link", name="Límites").click()
    staff.wait_for_url("**/boundaries/")
    staff.locator("#id_staff_contact_hours").fill("Weekdays 9 to 5.")
    texts = {
        "response_time": ("Within one working day.", "En un día laborable."),
        "peer_support_covers": ("Listening and planning.", "Escuchar y planear juntos."),
        "peer_support_does_not_cover": ("Emergencies: call 988.", "Emergencias: llama al 988."),
        "confidentiality_limits": ("Danger to you or others.", "Peligro para ti o para otros."),
    }
    for name, (english, spanish) in texts.items():
        staff.locator(f"#id_{name}").fill(english)
        staff.locator(f"#id_in-es-{name}").fill(spanish)
    staff.locator("#id_in-es-staff_contact_hours").fill("De lunes a viernes, de 9 a 5.")
    assert_no_axe_violations(staff)
    staff.get_by_role("button", name="Publicar").click()
    staff.wait_for_url("**/boundaries/")

    lucia = make_participant(agency_a, peer=rosa, preferred_name="Lucía", language="es")
    person = new_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    person.goto(f"/p/{issue_link(lucia, by=rosa.user)}/")
    agreement = person.get_by_role("region", name="Nuestro acuerdo de límites")
    assert "De lunes a viernes, de 9 a 5." in agreement.inner_text()
    assert "Weekdays" not in agreement.inner_text()
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)
    person.goto(person.url + "#boundaries-h")
    screenshot(person, "portal-boundaries-es-phone")


def test_a_peer_records_this_mornings_promise_after_the_fact(new_page, agency_a, peers):
    import zoneinfo
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import make_participant

    rosa, _lee = peers
    marcus = make_participant(agency_a, peer=rosa, preferred_name="Marcus")
    page = new_page()
    sign_in(page, rosa.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/commitments/")
    zone = zoneinfo.ZoneInfo(agency_a.time_zone)
    now = timezone.now()
    page.get_by_label("What was promised").fill("Bring the bus pass")
    page.get_by_label("When it was promised").fill(
        (now - timedelta(hours=4)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("By when").fill(
        (now - timedelta(hours=1)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("What has happened so far").select_option(label="Already kept, on time")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save commitment").click()
    page.wait_for_url("**/commitments/")
    assert page.get_by_role("status").inner_text() == "Commitment recorded, with what became of it."
    ledger = page.get_by_role("table", name="Commitments and what happened")
    row = ledger.get_by_role("row").filter(has_text="Bring the bus pass")
    assert "Kept" in row.inner_text() and "on time" in row.inner_text()
    assert_no_axe_violations(page)
    screenshot(page, "commitment-after-the-fact", full_page=True)


def test_a_shift_jis_file_is_refused_with_a_clear_message(form_pages, agency_a):
    supervisor = make_member(agency_a, Role.SUPERVISOR, user=make_user("sup@example.org"))
    page = form_pages()
    sign_in(page, supervisor.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/import/")
    data = "Preferred name,Email\nタナカ,t@example.org\nスズキ,s@example.org\n".encode("shift_jis")
    page.get_by_label("CSV file").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and choose columns").click()
    error = page.locator(".errorlist").inner_text()
    assert "another encoding (CP932)" in error and "CSV UTF-8" in error
    assert_no_axe_violations(page)
    with agency_scope(agency_a):
        assert not ParticipantImport.objects.exists()
