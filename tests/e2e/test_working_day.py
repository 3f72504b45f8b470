"""A peer specialist's morning in a real browser (issue 14, points 1-3): the caseload as a
working list (sorted, filtered, searched without the name in the address, cards on a phone);
handing a check-in link over (copy, QR code, send now) and the participant reading its expiry
in their own zone and language; an alert triaged, with a request to talk with a supervisor
and ranked repair ideas."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from agencies.models import Role
from agencies.tenancy import agency_scope
from alliance.checkins import services as checkin_services
from alliance.checkins.models import Alert
from alliance.commitments.models import CheckInSchedule, Commitment
from alliance.messaging import services as delivery
from alliance.messaging.models import Delivery, DeliveryKind
from alliance.messaging.transports import MemorySMS
from participants.models import Contact
from participants.services import channel_consent_set
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    assert_no_sideways_scrolling,
    link_path,
    screenshot,
    sign_in,
)
from tests.factories import (
    TEST_PASSWORD,
    make_checkin_response,
    make_commitment,
    make_member,
    make_participant,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def peer(agency_a):
    user = make_user("rosa.delgado@example.org", first_name="Rosa", last_name="Delgado")
    return make_member(agency_a, Role.PEER, user=user)


@pytest.fixture
def supervisor(agency_a):
    user = make_user("sam.okafor@example.org", first_name="Sam", last_name="Okafor")
    return make_member(agency_a, Role.SUPERVISOR, user=user)


def _contact(participant, peer, days_ago):
    with agency_scope(participant.agency_id):
        Contact.objects.create(
            agency=participant.agency,
            participant=participant,
            staff=peer,
            occurred_at=timezone.now() - timedelta(days=days_ago),
        )


def _texting_ok(participant):
    with agency_scope(participant.agency_id):
        channel_consent_set(participant=participant, channel="sms", granted=True, recorded_by=None)


def a_morning_caseload(agency, peer):
    """Five people, as a peer finds them on a Monday morning."""
    marcus = make_participant(agency, peer=peer, preferred_name="Marcus", pronouns="he/him")
    make_checkin_response(marcus, scale_value=5, days_ago=14)
    dip = make_checkin_response(
        marcus, scale_value=5, answers_by_practice={"listening": 1, "consistency": 2, "goals": 2}
    )
    with agency_scope(agency):
        checkin_services.repair_choice_record(response=dip, choice="supervisor")
        CheckInSchedule.objects.create(agency=agency, participant=marcus, every_weeks=1)
    late = make_commitment(marcus, staff=peer, what="Call about the housing form")
    with agency_scope(agency):
        Commitment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=5))
    _contact(marcus, peer, days_ago=9)
    _texting_ok(marcus)

    amara = make_participant(agency, peer=peer, preferred_name="Amara", pronouns="she/her")
    make_checkin_response(amara, scale_value=4, days_ago=7)
    make_checkin_response(amara, scale_value=5)
    make_commitment(amara, staff=peer, hours_ahead=30, what="Bring the bus pass")
    _contact(amara, peer, days_ago=2)
    _texting_ok(amara)

    dev = make_participant(agency, peer=peer, preferred_name="Dev", pronouns="they/them")
    make_checkin_response(dev, scale_value=3)
    _contact(dev, peer, days_ago=20)

    make_participant(
        agency,
        peer=peer,
        preferred_name="Jon",
        enrolled_on=agency.today() - timedelta(days=3),
    )
    return marcus


def test_the_caseload_is_a_working_list(new_page, agency_a, peer):
    a_morning_caseload(agency_a, peer)
    page = new_page()
    sign_in(page, peer.user.email, TEST_PASSWORD)
    page.get_by_role("link", name="My caseload").click()
    page.wait_for_url(f"**/a/{agency_a.slug}/participants/")
    marcus = page.get_by_role("row", name=re.compile("Marcus"))
    text = marcus.inner_text()
    for shown in (
        "72% ▼ down",
        "Wants to talk with a supervisor",
        "Overdue",
        "9 days ago",
        "Past their 7-day rhythm",
        "Yes",
    ):
        assert shown in text, shown
    amara = page.get_by_role("row", name=re.compile("Amara")).inner_text()
    assert "up" in amara and "Bring the bus pass" in amara
    assert (
        "Past their 14-day rhythm" in page.get_by_role("row", name=re.compile("Dev")).inner_text()
    )
    assert_no_axe_violations(page)
    screenshot(page, "caseload")

    # Sorting by a column header: the lowest score first.
    page.get_by_role("link", name="Last check-in").click()
    page.wait_for_url("**/participants/?sort=score")
    names = page.locator("tbody th[scope=row] a").all_inner_texts()
    assert names == ["Dev", "Marcus", "Amara", "Jon"]  # 50%, 72%, 100%, none yet
    # Show only those past their rhythm.
    page.get_by_label("Show only").select_option(label="Contact overdue")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flag=contact_due"))
    assert sorted(page.locator("tbody th[scope=row] a").all_inner_texts()) == ["Dev", "Marcus"]

    # The name search is POSTed: the name never reaches the address bar.
    page.goto(f"/a/{agency_a.slug}/participants/")
    page.get_by_label("Search by name").fill("amar")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert "amar" not in page.url.lower()
    assert page.get_by_label("Search by name").input_value() == "amar"
    assert page.locator("tbody th[scope=row] a").all_inner_texts() == ["Amara"]
    page.get_by_role("button", name="Clear search").click()
    page.wait_for_load_state()
    assert len(page.locator("tbody th[scope=row] a").all_inner_texts()) == 4

    # On a phone each person is a card: nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    screenshot(page, "caseload-phone", full_page=True)


def test_handing_over_a_check_in_link(new_page, agency_a, peer):
    lucia = make_participant(
        agency_a,
        peer=peer,
        preferred_name="Lucía",
        language="es",
        time_zone="America/Los_Angeles",
        phone="+16175550134",
    )
    _texting_ok(lucia)
    staff = new_page(permissions=["clipboard-read", "clipboard-write"])
    sign_in(staff, peer.user.email, TEST_PASSWORD)
    staff.goto(f"/a/{agency_a.slug}/participants/{lucia.pk}/")
    staff.get_by_role("button", name="Show a link to copy or scan").click()
    staff.wait_for_url("**/checkins/link/")
    qr = staff.get_by_role("img", name=re.compile("QR code of the check-in link"))
    box = qr.bounding_box()
    assert box and box["width"] >= 150
    link = staff.locator("#checkin-link").input_value()
    staff.get_by_role("button", name="Copy the link").click()
    staff.get_by_text("Copied. Paste it into your message to them.").wait_for()
    assert staff.evaluate("() => navigator.clipboard.readText()") == link
    assert "(America/Los_Angeles)" in staff.locator("main").inner_text()
    assert_no_axe_violations(staff)
    screenshot(staff, "checkin-link-handover", full_page=True)

    # Without JavaScript: the QR code and the selectable link, and no dead button.
    plain = new_page(java_script_enabled=False)
    plain.context.add_cookies(staff.context.cookies())  # the same signed-in staff member
    plain.goto(f"/a/{agency_a.slug}/participants/{lucia.pk}/")
    plain.get_by_role("button", name="Show a link to copy or scan").click()
    plain.wait_for_url("**/checkins/link/")
    assert plain.get_by_role("img", name=re.compile("QR code")).is_visible()
    assert plain.locator("#checkin-link").is_visible()
    assert not plain.get_by_role("button", name="Copy the link").is_visible()

    # Send now: by text, through the delivery mechanism.
    MemorySMS.outbox.clear()
    staff.get_by_role("button", name="Send a link by text message").click()
    staff.wait_for_url(f"**/participants/{lucia.pk}/")
    assert "A check-in link is on its way by text message." in staff.locator("main").inner_text()
    due = delivery.sweep()
    with agency_scope(agency_a):
        sent = Delivery.objects.get(kind=DeliveryKind.CHECKIN_LINK)
        assert (agency_a.pk, sent.pk) in due
        assert delivery.deliver(sent.pk) == delivery.Outcome.SENT
    [(address, text)] = MemorySMS.outbox
    assert address == "+16175550134" and "Lucía" not in text and text.startswith("Hola")

    # The participant, on their phone, reads the expiry in Spanish and in their own zone.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(link_path(text, "/c/"))
    expiry = phone.locator("main p.muted").first.inner_text()
    assert expiry.startswith("Este enlace funciona hasta el")
    with agency_scope(agency_a):
        checkin = lucia.checkin_requests.exclude(channel="link").get()
    with translation.override("es"):
        until = formats.date_format(
            checkin.expires_at.astimezone(ZoneInfo("America/Los_Angeles")), "DATETIME_FORMAT"
        )
    assert until in expiry, (until, expiry)
    assert_no_sideways_scrolling(phone)
    assert_no_axe_violations(phone)
    screenshot(phone, "checkin-link-expiry-phone-es")

    # After discharge no new link: the page says so and offers none.
    with agency_scope(agency_a):
        type(lucia).objects.filter(pk=lucia.pk).update(status="discharged")
    staff.goto(f"/a/{agency_a.slug}/participants/{lucia.pk}/")
    assert (
        "Discharged: no new check-in links can be made or sent."
        in staff.locator("main").inner_text()
    )
    assert staff.get_by_role("button", name="Send a check-in link now").count() == 0


def test_an_alert_is_triaged_with_the_supervisors_request_and_ranked_ideas(
    new_page, agency_a, peer, supervisor
):
    marcus = a_morning_caseload(agency_a, peer)
    with agency_scope(agency_a):
        alert = Alert.objects.get(participant=marcus)
    page = new_page()
    sign_in(page, supervisor.user.email, TEST_PASSWORD)
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_url(f"**/a/{agency_a.slug}/alerts/")
    first = page.locator("tbody tr").first
    assert "Marcus" in first.inner_text()
    assert "Wants to talk with a supervisor" in first.inner_text()
    assert "Rosa Delgado" in first.inner_text()  # the peer owns it at first
    assert_no_axe_violations(page)
    first.get_by_role("link", name="Marcus").click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    main = page.locator("main")
    assert "They asked to talk with a supervisor." in main.inner_text()
    ideas = page.locator("ol.suggestions li strong").all_inner_texts()
    assert ideas == [  # listening lowest; goals and consistency tie, in the instrument's order
        "Active listening",
        "Collaborative goal-setting",
        "Consistency and reliability",
    ]

    page.get_by_label("Owner").select_option(label="Sam Okafor (Supervisor)")
    page.get_by_label("Due").fill((timezone.localdate() + timedelta(days=1)).isoformat() + "T10:00")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    assert page.get_by_role("status").inner_text() == "Saved."
    facts = page.locator("dl.triage-facts").inner_text()
    assert "In progress" in facts and "Sam Okafor" in facts
    assert_no_axe_violations(page)
    screenshot(page, "alert-detail", full_page=True)
    page.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(page)
    page.set_viewport_size(DESKTOP)
    page.goto(f"/a/{agency_a.slug}/alerts/?show=mine")
    assert "Marcus" in page.locator("main").inner_text()
