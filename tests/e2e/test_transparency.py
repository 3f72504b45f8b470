"""Issue 18 in a real browser: a peer writes their introduction in English and Spanish; their
participants read it in their own language in the portal, and read "who has seen my record"
after the peer opens their goals, and a disclosure the peer records under their consent.
axe checks each new page."""

import pytest

from agencies.models import Role
from agencies.tenancy import agency_scope
from participants import services
from tests.e2e.conftest import (
    PHONE,
    assert_no_axe_violations,
    assert_no_sideways_scrolling,
    screenshot,
    sign_in,
)
from tests.factories import (
    TEST_PASSWORD,
    make_disclosure_consent,
    make_member,
    make_participant,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def peer(agency_a):
    user = make_user("rosa.delgado@example.org", first_name="Rosa", last_name="Delgado")
    return make_member(agency_a, Role.PEER, user=user)


def portal_path(participant, by) -> str:
    with agency_scope(participant.agency):
        _link, raw = services.portal_link_create(participant=participant, created_by=by)
    return f"/p/{raw}/"


def test_participants_read_their_peers_introduction_and_who_saw_their_record(
    new_page, agency_a, peer
):
    marcus = make_participant(agency_a, peer=peer, preferred_name="Marcus", language="en")
    lucia = make_participant(agency_a, peer=peer, preferred_name="Lucía", language="es")
    marcus_path, lucia_path = portal_path(marcus, peer.user), portal_path(lucia, peer.user)

    staff = new_page()
    sign_in(staff, peer.user.email, TEST_PASSWORD)
    staff.get_by_role("link", name="Your introduction").click()
    staff.wait_for_url("**/me/introduction/")
    assert_no_axe_violations(staff)
    english = staff.get_by_role("group", name="In English")
    english.get_by_label("What participants can call you").fill("Rosa")
    english.get_by_label("Your pronouns").fill("she/her")
    english.get_by_label("Languages you speak").fill("English and Spanish")
    english.get_by_label("When you can be reached").fill("Weekdays, 9 to 5")
    english.get_by_label("A few sentences about your own path (optional)").fill(
        "I found recovery through a mutual-help group."
    )
    spanish = staff.get_by_role("group", name="In Spanish")
    spanish.get_by_label("What participants can call you").fill("Rosa")
    spanish.get_by_label("Your pronouns").fill("ella")
    spanish.get_by_label("Languages you speak").fill("inglés y español")
    spanish.get_by_label("When you can be reached").fill("De lunes a viernes, de 9 a 5")
    spanish.get_by_label("A few sentences about your own path (optional)").fill(
        "Encontré la recuperación en un grupo de ayuda mutua."
    )
    staff.get_by_role("button", name="Save introduction").click()
    assert staff.get_by_role("status").inner_text() == "Your introduction is saved."
    assert_no_axe_violations(staff)
    screenshot(staff, "staff-introduction")

    # A disclosure under Lucía's consent (42 CFR Part 2), recorded through the page.
    make_disclosure_consent(lucia, recipient="County drug court")
    staff.goto(f"/a/{agency_a.slug}/participants/{lucia.pk}/consents/")
    staff.get_by_role("link", name="Record a disclosure").click()
    staff.wait_for_url("**/disclosures/record/")
    assert_no_axe_violations(staff)
    consent_choice = staff.get_by_label("Consent relied on")
    consent_choice.select_option(index=1)
    staff.get_by_label("Disclosed to").fill("Judge Park's clerk")
    staff.get_by_label("What was disclosed").fill("Fechas de asistencia de marzo")
    staff.get_by_label("Purpose").fill("Informe de cumplimiento")
    staff.get_by_role("button", name="Record disclosure").click()
    staff.wait_for_url("**/consents/")
    assert staff.get_by_role("status").inner_text() == "Disclosure recorded."
    assert "Judge Park's clerk" in staff.locator("main").inner_text()
    assert_no_axe_violations(staff)

    # The peer opens Lucía's goals: that is what she will read.
    staff.goto(f"/a/{agency_a.slug}/participants/{lucia.pk}/goals/")
    staff.wait_for_url("**/goals/")

    person = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    person.goto(lucia_path)
    introduction = person.locator(
        "section",
        has=person.get_by_role(
            "heading", name="Tu compañero o compañera de apoyo, en sus propias palabras"
        ),
    )
    text = introduction.inner_text()
    assert "ella" in text
    assert "De lunes a viernes, de 9 a 5" in text
    assert "Encontré la recuperación en un grupo de ayuda mutua." in text
    assert "mutual-help" not in person.locator("main").inner_text()
    access = person.locator(
        "section", has=person.get_by_role("heading", name="Quién ha visto tu expediente")
    )
    assert "Rosa Delgado, tu compañero o compañera de apoyo, miró tus metas." in (
        access.inner_text()
    )
    shared = person.locator(
        "section",
        has=person.get_by_role("heading", name="Información compartida con tu consentimiento"),
    ).inner_text()
    assert "Judge Park's clerk" in shared and "Fechas de asistencia de marzo" in shared
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations(person)
    screenshot(person, "portal-transparency-es-phone", full_page=True)

    person.goto(marcus_path)
    introduction = person.locator(
        "section",
        has=person.get_by_role("heading", name="Your peer specialist, in their own words"),
    )
    text = introduction.inner_text()
    assert "she/her" in text
    assert "I found recovery through a mutual-help group." in text
    access = person.locator(
        "section", has=person.get_by_role("heading", name="Who has seen your record")
    )
    assert "No one has looked at or changed your record in this time." in access.inner_text()
    assert_no_axe_violations(person)
