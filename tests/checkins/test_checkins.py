"""Check-in links: single use, friendly when not open, scored once, alerts on a dip."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from agencies.tenancy import agency_scope
from alliance.checkins import services
from alliance.checkins.models import (
    Alert,
    AlertStatus,
    CheckInRequest,
    CheckInResponse,
    InstrumentItem,
)
from tests.conftest import client_for
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(agency_a, peer_a, instrument):
    return make_participant(agency_a, peer=peer_a, preferred_name="Dee")


def new_link(participant, **kwargs):
    with agency_scope(participant.agency_id):
        checkin, raw = services.checkin_request_create(
            participant=participant, channel="link", created_by=None, **kwargs
        )
    return checkin, f"/c/{raw}/"


def items_of(agency):
    with agency_scope(agency):
        return list(InstrumentItem.objects.order_by("position"))


def answers(agency, scale_value=5, text="", **by_practice):
    """POST data answering every scale item with `scale_value`, except practices given."""
    data = {}
    for item in items_of(agency):
        if item.kind == "scale":
            data[f"item_{item.pk}"] = str(by_practice.get(item.practice, scale_value))
        elif text:
            data[f"item_{item.pk}"] = text
    return data


def responses(agency):
    with agency_scope(agency):
        return list(CheckInResponse.objects.all())


# The page --------------------------------------------------------------------------------


def test_opening_the_link_shows_the_check_in_and_spends_nothing(
    agency_a, participant, django_assert_max_num_queries
):
    checkin, url = new_link(participant)
    browser = Client()
    with django_assert_max_num_queries(3):  # cold cache: lookup + items
        page = browser.get(url)
    assert page.status_code == 200
    assert "Hi, how are things between us?" in page.text and "Dee" not in page.text
    assert "This link works until" in page.text
    assert "My peer listened to me." in page.text and "<script" not in page.text
    browser.get(url)
    with agency_scope(checkin.agency_id):
        checkin.refresh_from_db()
    assert checkin.status == "open"


def test_the_page_speaks_the_participants_language(agency_a, peer_a, instrument):
    participant = make_participant(agency_a, peer=peer_a, language="es", preferred_name="Rosa")
    _checkin, url = new_link(participant)
    page = Client().get(url)
    assert '<html lang="es">' in page.text
    assert "Mi compañero o compañera de apoyo me escuchó." in page.text and "Para nada" in page.text


def test_submitting_stores_one_scored_response(agency_a, participant):
    checkin, url = new_link(participant)
    response = Client().post(url, answers(agency_a, 5, text="More time to talk", listening=4))
    assert response.status_code == 200 and "Thank you" in response.text
    [stored] = responses(agency_a)
    assert stored.total == 44 and stored.max_total == 45
    assert stored.percent == pytest.approx(97.2, abs=0.1)
    assert stored.practice_scores["listening"] == 75.0 and stored.practice_scores["safety"] == 100.0
    assert "More time to talk" in stored.answers.values()
    with agency_scope(checkin.agency_id):
        checkin.refresh_from_db()
    assert checkin.status == "completed"


def test_skipped_questions_are_allowed(agency_a, participant):
    _checkin, url = new_link(participant)
    first_item = items_of(agency_a)[0]
    assert Client().post(url, {f"item_{first_item.pk}": "4"}).status_code == 200
    [stored] = responses(agency_a)
    assert stored.answers == {str(first_item.pk): 4}


@pytest.mark.parametrize("value", ["0", "6", "abc", "3.5", "-1", "9" * 30])
def test_out_of_range_or_malformed_values_store_nothing(agency_a, participant, value):
    checkin, url = new_link(participant)
    data = answers(agency_a, 4)
    first_item = next(iter(data))
    data[first_item] = value
    page = Client().post(url, data)
    assert page.status_code == 400 and "Choose a number from 1 to 5" in page.text
    assert responses(agency_a) == []
    with agency_scope(checkin.agency_id):
        checkin.refresh_from_db()
    assert checkin.status == "open"  # the link still works


def test_overlong_free_text_is_refused(agency_a, participant):
    _checkin, url = new_link(participant)
    page = Client().post(url, answers(agency_a, 4, text="x" * 2001))
    assert page.status_code == 400 and responses(agency_a) == []


# Single use, and pages for links that are not open -------------------------------------------


def test_second_submit_sees_the_not_open_page_and_stores_nothing(agency_a, participant):
    _checkin, url = new_link(participant)
    browser = Client()
    browser.post(url, answers(agency_a, 4))
    again = browser.post(url, answers(agency_a, 1))
    assert again.status_code == 410 and "not open" in again.text
    assert len(responses(agency_a)) == 1


@pytest.mark.parametrize("state", ["used", "expired", "revoked", "unknown"])
def test_links_that_are_not_open_all_look_alike(agency_a, participant, state):
    checkin, url = new_link(participant)
    with agency_scope(agency_a):
        if state == "used":
            CheckInRequest.objects.filter(pk=checkin.pk).update(completed_at=timezone.now())
        if state == "expired":
            CheckInRequest.objects.filter(pk=checkin.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
        if state == "revoked":
            CheckInRequest.objects.filter(pk=checkin.pk).update(revoked_at=timezone.now())
    if state == "unknown":
        url = url[:-5] + "zzzz/"
    page = Client().get(url)
    assert page.status_code == 410
    assert "This check-in link is not open" in page.text and "ask your peer specialist" in page.text
    assert "Dee" not in page.text


def test_failed_lookups_are_rate_limited_per_ip(db):
    browser = Client()
    statuses = [browser.get(f"/c/unknown-token-{n}/").status_code for n in range(25)]
    assert statuses[:20] == [410] * 20 and statuses[-1] == 429
    other_ip = Client(REMOTE_ADDR="10.1.2.3").get("/c/unknown-token/")
    assert other_ip.status_code == 410


def test_a_working_link_still_opens_from_an_address_that_is_rate_limited(participant):
    """The limit stops guessing; a participant behind the same address (a clinic's Wi-Fi)
    still gets their check-in."""
    _checkin, url = new_link(participant)
    browser = Client()
    statuses = [browser.get(f"/c/unknown-token-{n}/").status_code for n in range(21)]
    assert statuses[-1] == 429
    page = browser.get(url)
    assert page.status_code == 200 and "how are things between us" in page.text


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submits_store_exactly_one_response(agency_a, participant):
    _checkin, url = new_link(participant)
    data = answers(agency_a, 3)
    statuses, barrier = [], threading.Barrier(20)

    def submit():
        try:
            barrier.wait()
            statuses.append(Client().post(url, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [410] * 19
    assert len(responses(agency_a)) == 1


@pytest.mark.django_db(transaction=True)
def test_submit_stays_within_eight_statements(agency_a, participant, django_assert_max_num_queries):
    _checkin, url = new_link(participant)
    data = answers(agency_a, 1)  # a dip: the alert is written too
    Client().get(url)  # as a participant would: the page first (it warms the items cache)
    # Eight statements: the lookup in a short transaction of its own (BEGIN, SELECT, COMMIT:
    # row-level security settings last one transaction, decision 56), then BEGIN, spend,
    # response, alert, COMMIT.
    with django_assert_max_num_queries(8):
        assert Client().post(url, data).status_code == 200
    with agency_scope(agency_a):
        assert Alert.objects.count() == 1


# Alerts and the participant's choice ---------------------------------------------------------


def test_a_dip_offers_a_choice_that_travels_with_the_alert(agency_a, participant, peer_a):
    _checkin, url = new_link(participant)
    thanks = Client().post(url, answers(agency_a, 2, text="You were late twice"))
    assert "What would you like to happen next?" in thanks.text
    choice = Client().post(url + "choice/", {"choice": "supervisor"})
    assert "Your choice has been passed on" in choice.text
    again = Client().post(url + "choice/", {"choice": "nothing"})  # once only
    assert "You had already sent a choice" in again.text
    with agency_scope(agency_a):
        alert = Alert.objects.select_related("response").get()
    assert alert.response.repair_choice == "supervisor"
    page = client_for(peer_a.user).get(f"/a/agency-a/alerts/{alert.pk}/")
    assert "Talk with a supervisor" in page.text and "You were late twice" in page.text
    assert "Ask what would make the space feel safer" in page.text  # repair suggestion


def test_a_choice_sent_from_a_page_left_open_too_long_says_it_was_not_sent(agency_a, participant):
    _checkin, url = new_link(participant)
    Client().post(url, answers(agency_a, 2))
    with agency_scope(agency_a):
        CheckInResponse.objects.update(submitted_at=timezone.now() - timedelta(hours=3))
    late = Client().post(url + "choice/", {"choice": "supervisor"})
    assert late.status_code == 410
    assert "too old to send a choice from, so it was not sent" in late.text
    assert "passed on" not in late.text
    with agency_scope(agency_a):
        assert Alert.objects.get().response.repair_choice == ""


def test_no_dip_no_choice(agency_a, participant):
    _checkin, url = new_link(participant)
    thanks = Client().post(url, answers(agency_a, 5))
    assert "What would you like to happen next?" not in thanks.text


def rules_for(agency, participant, previous=None, **by_practice):
    items = items_of(agency)
    data = {str(i.pk): by_practice.get(i.practice, 5) for i in items if i.kind == "scale"}
    with agency_scope(agency):
        checkin, _raw = services.checkin_request_create(
            participant=participant, channel="link", created_by=None
        )
        checkin = CheckInRequest.objects.select_related("agency").get(pk=checkin.pk)
        response = services.checkin_submit(
            checkin=checkin, items=items, answers=data, previous_percent=previous
        )
        alert = Alert.objects.filter(response=response).first()
    return (alert.rules, alert.practices) if alert else ([], [])


def test_each_alert_rule_fires_on_its_own(agency_a, participant):
    assert rules_for(agency_a, participant) == ([], [])
    assert rules_for(agency_a, participant, safety=2)[0] == ["safety_item"]
    assert rules_for(agency_a, participant, boundaries=1)[0] == ["boundaries_item"]
    assert rules_for(agency_a, participant, previous=100.0, empathy=3, listening=3, goals=3) == (
        ["drop"],
        ["listening", "empathy", "goals"],
    )
    low = rules_for(
        agency_a, participant, listening=2, empathy=2, goals=2, culture=2, consistency=2
    )
    assert low[0] == ["total_low"]


def test_agency_thresholds_change_the_rules(agency_a, participant):
    agency_a.alert_item_at_or_below = 3
    agency_a.save()
    assert rules_for(agency_a, participant, safety=3)[0] == ["safety_item"]


def test_peer_sees_alerts_of_their_caseload_only(agency_a, peer_a, participant):
    other = make_participant(agency_a, preferred_name="Someone Else")
    for person in (participant, other):
        _checkin, url = new_link(person)
        Client().post(url, answers(agency_a, 1))
    page = client_for(peer_a.user).get("/a/agency-a/alerts/")
    assert "Dee" in page.text and "Someone Else" not in page.text
    with agency_scope(agency_a):
        theirs = Alert.objects.get(participant=other)
    assert client_for(peer_a.user).get(f"/a/agency-a/alerts/{theirs.pk}/").status_code == 404


def test_acknowledge_then_resolve_with_a_note(agency_a, peer_a, participant):
    _checkin, url = new_link(participant)
    Client().post(url, answers(agency_a, 1))
    with agency_scope(agency_a):
        alert = Alert.objects.get()
    browser = client_for(peer_a.user)
    browser.post(f"/a/agency-a/alerts/{alert.pk}/acknowledge/")
    missing_note = browser.post(f"/a/agency-a/alerts/{alert.pk}/resolve/", {"note": ""})
    assert missing_note.status_code == 400
    browser.post(f"/a/agency-a/alerts/{alert.pk}/resolve/", {"note": "Talked it through on Monday"})
    with agency_scope(alert.agency_id):
        alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.acknowledged_by == peer_a.user
    assert alert.resolution_note == "Talked it through on Monday"


# Kiosk and paper ---------------------------------------------------------------------------


def test_kiosk_locks_to_the_check_in_and_returns_to_a_neutral_screen(agency_a, peer_a, participant):
    tablet = client_for(peer_a.user)
    start = tablet.post(f"/a/agency-a/participants/{participant.pk}/checkins/kiosk/")
    assert start.status_code == 302 and start["Location"].startswith("/c/")
    page = tablet.get(start["Location"])
    assert "how are things between us" in page.text
    assert "/a/agency-a/" not in page.text  # no staff navigation
    done = tablet.post(start["Location"], answers(agency_a, 5))
    assert done.status_code == 302 and done["Location"] == "/c/done/"
    neutral = tablet.get("/c/done/")
    assert "hand the tablet back" in neutral.text and "Dee" not in neutral.text
    # The staff session ended when the tablet was handed over: staff pages ask for a sign-in.
    for path in ("/a/agency-a/participants/", f"/a/agency-a/participants/{participant.pk}/"):
        staff_page = tablet.get(path)
        assert staff_page.status_code == 302 and staff_page["Location"].startswith(
            "/accounts/login/"
        )


def test_paper_check_in_is_marked_as_such(agency_a, peer_a, participant):
    browser = client_for(peer_a.user)
    page = browser.post(
        f"/a/agency-a/participants/{participant.pk}/checkins/paper/", answers(agency_a, 4)
    )
    assert page.status_code == 302
    [stored] = responses(agency_a)
    assert stored.channel == "paper" and stored.entered_by == peer_a.user and stored.total == 36


def test_staff_copy_a_link_shown_once(agency_a, peer_a, participant):
    page = client_for(peer_a.user).post(f"/a/agency-a/participants/{participant.pk}/checkins/link/")
    url = page.context["url"]
    assert url.startswith("http://testserver/c/")
    raw = url.rstrip("/").rsplit("/", 1)[1]
    with agency_scope(agency_a):
        assert not CheckInRequest.objects.filter(token_hash=raw).exists()
    assert Client().get(url.replace("http://testserver", "")).status_code == 200


# Empty check-ins (issue 14, item 10) -----------------------------------------------------------


def test_an_empty_check_in_is_refused_and_the_link_still_works(agency_a, participant):
    """Sending the page with nothing answered (a stray tap) says what to do and keeps the link:
    the participant can answer afterwards, and that answer is the one stored."""
    _checkin, url = new_link(participant)
    browser = Client()
    empty = browser.post(url, {})
    assert empty.status_code == 400
    assert "Answer at least one question, then send. Nothing has been saved yet." in empty.text
    assert responses(agency_a) == []
    assert browser.get(url).status_code == 200  # not spent
    assert browser.post(url, answers(agency_a, 4)).status_code == 200
    [stored] = responses(agency_a)
    assert stored.total == 36


def test_an_empty_paper_check_in_is_refused(agency_a, peer_a, participant):
    page = client_for(peer_a.user).post(
        f"/a/agency-a/participants/{participant.pk}/checkins/paper/", {}
    )
    assert page.status_code == 400
    assert "Answer at least one question" in page.text
    assert responses(agency_a) == []


def test_the_expiry_line_ends_with_one_period_at_most(agency_a, participant):
    """FOUND-IN-USE: "works until Dec. 4, 2026, 6:29 p.m.." had the date's period and the
    sentence's."""
    _checkin, url = new_link(participant)
    page = Client().get(url).text
    assert (
        "This link works until" in page and ".." not in page.split("This link works until")[1][:60]
    )
