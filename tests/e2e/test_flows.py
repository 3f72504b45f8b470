"""The flows of issue 7 in a real browser: a peer enrols a participant with a cultural profile in
Spanish; a check-in link reaches them by SMS through the delivery mechanism; they answer on a
phone, in Spanish, with a dip, and choose what should happen next; the peer sees the alert and
the trend and resolves it; a commitment's reminder is delivered by a real Celery worker; the
participant acknowledges the boundaries agreement in the portal, without JavaScript."""

import re
import time
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation

from agencies.models import Role
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.checkins.models import Alert, CheckInResponse
from alliance.commitments.models import CheckInSchedule
from alliance.commitments.services import checkin_schedules_run
from alliance.messaging import services as delivery
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus, Notification
from alliance.messaging.transports import MemorySMS
from alliance.tasks import deliveries_sweep
from participants.models import BoundaryAgreement, Participant
from tests.celery_worker import start_worker, stop_worker
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    assert_no_axe_violations_scripted,
    assert_no_sideways_scrolling,
    link_path,
    screenshot,
    sign_in,
)
from tests.factories import (
    TEST_PASSWORD,
    TOTP_SECRET,
    make_checkin_request,
    make_checkin_response,
    make_member,
    make_participant,
    make_user,
)

# live_server answers from another thread, so the data must be committed: transactional tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LISTENING_ES = "Mi compañero o compañera de apoyo me escuchó."
THEIR_WORDS = "Me gustaría que me llamara cuando dice que lo va a hacer."


def spanish(text: str) -> str | None:
    """The Spanish of a catalog string, or None while the compiled catalog lacks it."""
    with translation.override("es"):
        translated = translation.gettext(text)
    return translated if translated != text else None


@pytest.fixture
def peer(agency_a):
    user = make_user("rosa.delgado@example.org", first_name="Rosa", last_name="Delgado")
    return make_member(agency_a, Role.PEER, user=user)


@pytest.fixture
def admin(agency_a):
    user = make_user("sam.okafor@example.org", mfa=True, first_name="Sam", last_name="Okafor")
    return make_member(agency_a, Role.ADMIN, user=user)


def phone(new_page, **options):
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True, **options)


def quiet_hours_away_from_now(time_zone: str) -> tuple[str, str]:
    """Quiet hours that start three hours from now (the SMS must not be held back by them)."""
    local = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(time_zone))
    start = (local + timedelta(hours=3)).strftime("%H:00")
    end = (local + timedelta(hours=6)).strftime("%H:00")
    return start, end


# Steps ---------------------------------------------------------------------------------------


def enrol_in_spanish(page, agency, name: str) -> Participant:
    """Caseload -> Add a participant (language Spanish) -> cultural profile -> SMS consent."""
    page.get_by_role("link", name="My caseload").click()
    page.wait_for_url(f"**/a/{agency.slug}/participants/")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Add a participant").click()
    page.wait_for_url("**/participants/new/")
    assert_no_axe_violations(page)
    page.get_by_label("Preferred name").fill(name)
    page.get_by_label("Mobile phone").fill("(617) 555-0134")
    page.get_by_label("Preferred language").select_option("es")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    assert page.get_by_role("status").inner_text() == "Participant added."
    participant_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    page.get_by_role("link", name="Edit cultural profile").click()
    page.wait_for_url("**/profile/")
    assert_no_axe_violations(page)
    assert page.get_by_label("Language").input_value() == "es"
    page.get_by_label("Pronouns").fill("ella")
    page.get_by_label("Faith-based recovery").check()
    page.get_by_label("Mutual help (12-step, SMART Recovery, other groups)").check()
    start, end = quiet_hours_away_from_now(agency.time_zone)
    page.get_by_label("Quiet hours start").fill(start)
    page.get_by_label("Quiet hours end").fill(end)
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    assert page.get_by_role("status").inner_text() == "Profile saved."
    assert page.get_by_role("heading", level=1).inner_text() == f"{name} (ella)"
    profile = page.locator("section", has=page.get_by_role("heading", name="Cultural profile"))
    assert "Spanish" in profile.inner_text()
    # In the one time style (decision 110): "11:00 PM–2:00 AM, Eastern Time (New York)".
    shown = [datetime.strptime(hour, "%H:%M").strftime("%-I:%M %p") for hour in (start, end)]
    assert "–".join(shown) in profile.inner_text()

    page.get_by_role("link", name="Consent", exact=True).click()
    page.wait_for_url("**/consents/")
    assert_no_axe_violations(page)
    page.get_by_label("Okay to text").check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Contact consent saved."

    with agency_scope(agency):
        participant = Participant.objects.get(pk=participant_id)
    assert participant.phone == "+16175550134"
    assert participant.pronouns == "ella"
    return participant


def copy_checkin_link(page, agency, participant) -> str:
    """Participant page -> Show a link to copy or scan: the page shows it once."""
    page.goto(f"/a/{agency.slug}/participants/{participant.pk}/")
    page.get_by_role("button", name="Show a link to copy or scan").click()
    page.wait_for_url("**/checkins/link/")
    assert_no_axe_violations(page)
    return link_path(page.locator("#checkin-link").input_value(), "/c/")


def schedule_and_send_checkin_sms(page, agency, participant) -> str:
    """The peer sets a weekly check-in schedule on the Commitments page; when it comes due, the
    sweep and the delivery mechanism send the link by SMS. Returns the link's path."""
    page.goto(f"/a/{agency.slug}/participants/{participant.pk}/commitments/")
    page.get_by_label("How often").select_option(label="Every week")
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_url("**/commitments/")
    with scopes_disabled():  # due now rather than next week
        schedule = CheckInSchedule.objects.get(participant_id=participant.pk, is_active=True)
        CheckInSchedule.objects.filter(pk=schedule.pk).update(
            next_due_at=timezone.now() - timedelta(minutes=1)
        )
    MemorySMS.outbox.clear()
    assert checkin_schedules_run() == 1
    due = delivery.sweep()
    with scopes_disabled():
        invites = set(
            Delivery.objects.filter(kind=DeliveryKind.CHECKIN_INVITE).values_list("id", flat=True)
        )
    sent = [pk for _agency, pk in due if pk in invites]
    assert len(sent) == 1
    with agency_scope(agency):
        assert delivery.deliver(sent[0]) == delivery.Outcome.SENT
    [(address, text)] = MemorySMS.outbox
    assert address == "+16175550134"
    invite = spanish(
        "Hi, how are things going with your peer? Two minutes: %(link)s (works until %(expires)s)"
    )
    assert text.startswith(invite.split("%(link)s")[0])  # in the participant's language
    assert participant.preferred_name not in text  # texts name nobody (decision 54)
    return link_path(text, "/c/")


def checkin_in_spanish_with_a_dip(participant_page, path: str) -> None:
    participant_page.goto(path)
    assert participant_page.locator("html").get_attribute("lang") == "es"
    assert participant_page.get_by_text(LISTENING_ES).is_visible()
    send = spanish("Send my answers") or "Send my answers"
    assert participant_page.get_by_role("button", name=send).is_visible()
    assert_no_sideways_scrolling(participant_page)
    assert_no_axe_violations(participant_page)
    screenshot(participant_page, "checkin-phone-es")

    items = participant_page.locator("fieldset.item")
    assert items.count() == 9
    for n in range(items.count()):
        items.nth(n).get_by_label("2", exact=True).check()
    participant_page.get_by_label("¿Qué haría mejor nuestra próxima conversación?").fill(
        THEIR_WORDS
    )
    participant_page.get_by_role("button", name=send).click()

    # The thank-you page offers a choice after a dip.
    participant_page.wait_for_load_state()
    assert participant_page.locator("html").get_attribute("lang") == "es"
    assert participant_page.get_by_role("heading", level=1).inner_text() == (
        spanish("Thank you") or "Thank you"
    )
    assert_no_sideways_scrolling(participant_page)
    assert_no_axe_violations(participant_page)
    screenshot(participant_page, "checkin-thanks-phone-es")
    participant_page.locator("input[name=choice][value=supervisor]").check()
    participant_page.get_by_role(
        "button", name=spanish("Send my choice") or "Send my choice"
    ).click()
    participant_page.wait_for_load_state()
    recorded = spanish("Got it. Your choice has been passed on.") or "Got it."
    assert recorded in participant_page.locator("main").inner_text()
    assert_no_axe_violations(participant_page)


def peer_resolves_the_alert(page, agency, participant) -> None:
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_url(f"**/a/{agency.slug}/alerts/")
    assert_no_axe_violations(page)
    row = page.get_by_role("row", name=re.compile(participant.preferred_name))
    assert "Wants to talk with a supervisor" in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/alerts/\d+/$"))
    main = page.locator("main")
    assert "Talk with a supervisor" in main.inner_text()
    assert page.locator("blockquote", has_text=THEIR_WORDS).is_visible()
    assert_no_axe_violations(page)
    # The alert's screenshot is taken in tests/e2e/test_working_day.py (triaged).
    alert_url = page.url

    # The trend, from the participant page.
    page.get_by_role("link", name="Participant page").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    page.get_by_role("link", name="Scores and trends").click()
    page.wait_for_url("**/checkins/")
    chart = page.locator("svg").first
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    assert_no_axe_violations(page)
    screenshot(page, "checkin-trend", full_page=True)

    page.goto(alert_url)
    page.get_by_label("What was done").fill(
        "Called Lucía. We agreed I text before I call, and a supervisor joins next week."
    )
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_url(alert_url)
    assert page.get_by_role("status").inner_text() == "Alert resolved."
    assert "Resolved by" in page.locator("main").inner_text()
    assert_no_axe_violations(page)
    with agency_scope(agency):
        alert = Alert.objects.get(participant_id=participant.pk)
    assert alert.status == "resolved"
    assert alert.resolution_note.startswith("Called Lucía.")


# Tests ---------------------------------------------------------------------------------------


def test_peer_enrols_a_participant_who_checks_in_in_spanish_and_the_peer_repairs(
    new_page, agency_a, peer
):
    for name, pronouns in [("Amara", "she/her"), ("Dev", "they/them"), ("Jon", "he/him")]:
        make_participant(agency_a, peer=peer, preferred_name=name, pronouns=pronouns)
    staff = new_page()
    sign_in(staff, peer.user.email, TEST_PASSWORD)
    participant = enrol_in_spanish(staff, agency_a, "Lucía")

    # Earlier check-ins, so the trend has a history for the dip to stand out from.
    for days_ago, value in [(56, 4), (42, 4), (28, 5), (14, 5)]:
        make_checkin_response(participant, scale_value=value, days_ago=days_ago)

    copied = copy_checkin_link(staff, agency_a, participant)
    texted = schedule_and_send_checkin_sms(staff, agency_a, participant)
    assert copied != texted  # each link is its own request

    checkin_in_spanish_with_a_dip(phone(new_page), texted)
    with agency_scope(agency_a):
        response = CheckInResponse.objects.filter(participant_id=participant.pk).latest(
            "submitted_at"
        )
        assert response.repair_choice == "supervisor"
        assert Alert.objects.filter(response=response).exists()

    peer_resolves_the_alert(staff, agency_a, participant)

    staff.goto(f"/a/{agency_a.slug}/participants/{participant.pk}/")
    assert_no_axe_violations(staff)
    screenshot(staff, "participant", full_page=True)
    staff.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(staff)
    assert_no_axe_violations(staff)

    staff.set_viewport_size(DESKTOP)
    staff.get_by_role("link", name="My caseload").click()
    staff.wait_for_url(f"**/a/{agency_a.slug}/participants/")
    assert staff.get_by_role("row", name=re.compile("Lucía")).count() == 1
    assert_no_axe_violations(staff)
    # The caseload's screenshot is taken in tests/e2e/test_working_day.py (a working list).
    staff.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(staff)
    assert_no_axe_violations(staff)


def test_a_commitment_reminder_is_delivered_by_the_real_worker(
    new_page, agency_a, peer, worker_queue
):
    worker = start_worker(worker_queue)  # starts while the browser works
    try:
        participant = make_participant(agency_a, peer=peer, preferred_name="Lucía", language="es")
        page = new_page()
        sign_in(page, peer.user.email, TEST_PASSWORD)
        page.goto(f"/a/{agency_a.slug}/participants/{participant.pk}/")
        page.get_by_role("link", name="Commitments").click()
        page.wait_for_url("**/commitments/")
        assert_no_axe_violations(page)

        due = timezone.localtime(
            timezone.now() + timedelta(hours=2), zoneinfo.ZoneInfo(agency_a.time_zone)
        )
        page.get_by_label("What was promised").fill("Call Lucía about the housing form")
        page.get_by_label("By when").fill(due.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Who promised").select_option("staff")
        page.get_by_role("button", name="Save commitment").click()
        page.wait_for_url("**/commitments/")
        assert page.get_by_role("status").inner_text().startswith("Commitment recorded.")
        ledger = page.get_by_role("table", name="Commitments and what happened")
        assert "Call Lucía about the housing form" in ledger.inner_text()
        assert_no_axe_violations(page)
        screenshot(page, "commitments", full_page=True)

        # The one-hour reminder is due in an hour; make it due now.
        with scopes_disabled():
            reminders = Delivery.objects.filter(
                kind=DeliveryKind.COMMITMENT_REMINDER, offset_key="-1h", membership=peer
            )
            assert reminders.count() == 2  # in-app and email
            reminders.update(due_at=timezone.now() - timedelta(seconds=5))
        deliveries_sweep()  # in this process; the worker process sends them
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with scopes_disabled():
                if (
                    Notification.objects.filter(membership=peer).exists()
                    and not reminders.exclude(status=DeliveryStatus.SENT).exists()
                ):
                    break
            time.sleep(0.25)
    finally:
        stop_worker(worker)
    with scopes_disabled():
        [notification] = Notification.objects.filter(membership=peer)
        assert reminders.filter(status=DeliveryStatus.SENT).count() == 2

    page.get_by_role("link", name="Notifications").click()
    page.wait_for_url("**/notifications/")
    item = page.locator("ul.notifications li", has_text="Call Lucía about the housing form")
    assert item.inner_text().find("Reminder: you promised Lucía") >= 0
    assert notification.text.startswith("Reminder: you promised Lucía")
    assert_no_axe_violations(page)
    # The sentence links to the page it is about, as a path on this site (decision 114).
    href = item.get_by_role("link").get_attribute("href")
    assert href.endswith(f"/a/{agency_a.slug}/participants/{participant.pk}/commitments/")


def test_participant_acknowledges_the_boundaries_agreement_without_javascript(
    new_page, agency_a, admin
):
    participant = make_participant(agency_a, peer=None, preferred_name="Marcus", pronouns="he/him")
    staff = new_page()
    sign_in(staff, admin.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)

    staff.get_by_role("link", name="Boundaries").click()
    staff.wait_for_url("**/boundaries/")
    assert_no_axe_violations(staff)
    # The agency's language comes first; the same boxes in Spanish follow (decision 176).
    staff.get_by_label("When staff can be reached").first.fill("Monday to Friday, 9:00 to 17:00.")
    staff.get_by_label("How soon we answer").first.fill("Within one working day.")
    staff.get_by_label("What peer support covers").first.fill(
        "Listening, planning, going with you."
    )
    staff.get_by_label("What peer support does not cover").first.fill(
        "Therapy, medical advice, loans."
    )
    staff.get_by_label("Limits of confidentiality").first.fill(
        "Risk of serious harm, court orders."
    )
    staff.get_by_role("button", name="Publish").click()
    assert staff.get_by_role("status").inner_text() == "Version 1 published."

    staff.goto(f"/a/{agency_a.slug}/participants/{participant.pk}/")
    assert "Version 1 not yet acknowledged" in staff.locator("main").inner_text()
    staff.get_by_role("button", name="Create a link").click()
    staff.wait_for_url("**/portal-link/")
    assert_no_axe_violations(staff)
    path = link_path(staff.locator("#portal-link").input_value(), "/p/")

    person = phone(new_page, java_script_enabled=False)
    person.goto(path)
    assert person.get_by_role("heading", level=1).inner_text() == "Hello, Marcus"
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)
    screenshot(person, "portal-home-phone")

    person.get_by_role("button", name="I have read this agreement").click()
    person.wait_for_url("**?done=boundaries")
    assert person.get_by_role("status").inner_text() == (
        "Thank you. Your acknowledgement is recorded."
    )
    assert "You acknowledged this agreement on" in person.locator("main").inner_text()
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)

    # The profile page works without JavaScript too.
    person.get_by_role("link", name="Change how you want to be met").click()
    person.wait_for_url("**/profile/")
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)
    person.get_by_label("Communication style").fill("Direct, and with humour.")
    person.get_by_role("button", name="Save").click()
    person.wait_for_url("**?done=profile")
    assert "Direct, and with humour." in person.locator("main").inner_text()

    with agency_scope(agency_a):
        agreement = BoundaryAgreement.objects.get(participant=participant)
    assert agreement.acknowledged_at is not None
    staff.get_by_role("link", name="Back").click()
    staff.wait_for_url(re.compile(r"/participants/\d+/$"))
    assert "Version 1 acknowledged on" in staff.locator("main").inner_text()


def test_checkin_works_without_javascript(new_page, agency_a, peer):
    participant = make_participant(agency_a, peer=peer, preferred_name="Lucía", language="es")
    _checkin, raw = make_checkin_request(participant)
    person = phone(new_page, java_script_enabled=False)
    person.goto(f"/c/{raw}/")
    assert person.locator("html").get_attribute("lang") == "es"
    assert_no_sideways_scrolling(person)
    assert_no_axe_violations_scripted(new_page, person, is_mobile=True, has_touch=True)
    items = person.locator("fieldset.item")
    for n in range(items.count()):
        items.nth(n).get_by_label("1", exact=True).check()
    person.locator("main button[type=submit]").click()
    person.wait_for_load_state()
    person.locator("input[name=choice][value=peer_next_time]").check()
    person.locator("main button[type=submit]").click()
    person.wait_for_load_state()
    with agency_scope(agency_a):
        response = CheckInResponse.objects.get(participant=participant)
    assert response.total == 9
    assert response.repair_choice == "peer_next_time"
    recorded = spanish("Got it. Your choice has been passed on.") or "Got it."
    assert recorded in person.locator("main").inner_text()


def test_handing_the_tablet_over_ends_the_staff_session_on_it(new_page, agency_a, peer):
    participant = make_participant(agency_a, peer=peer, preferred_name="Dee")
    tablet = new_page()
    sign_in(tablet, peer.user.email, TEST_PASSWORD)
    tablet.goto(f"/a/{agency_a.slug}/participants/{participant.pk}/")
    assert "signs you out of this browser" in tablet.locator("main").inner_text()
    tablet.get_by_role("button", name="Start on this tablet").click()
    tablet.wait_for_url(re.compile(r"/c/[^/]+/$"))
    checkin_url = tablet.url
    assert tablet.get_by_role("heading", level=1).inner_text().startswith("Hi, how are")

    # The participant tries the staff pages from the tablet: each asks for a sign-in.
    for path in ("/participants/", f"/participants/{participant.pk}/", "/alerts/"):
        tablet.goto(f"/a/{agency_a.slug}{path}")
        tablet.wait_for_url("**/accounts/login/**")
        assert tablet.get_by_role("button", name="Sign in").is_visible()
        assert "Dee" not in tablet.locator("main").inner_text()

    tablet.goto(checkin_url)  # the check-in itself still works, once
    items = tablet.locator("fieldset.item")
    for n in range(items.count()):
        items.nth(n).get_by_label("5", exact=True).check()
    tablet.get_by_role("button", name="Send my answers").click()
    tablet.wait_for_url("**/c/done/")
    assert "hand the tablet back" in tablet.locator("main").inner_text()
    tablet.goto(f"/a/{agency_a.slug}/participants/")
    tablet.wait_for_url("**/accounts/login/**")
