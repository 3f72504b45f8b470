"""The check-in and thank-you pages a process keeps rendered (alliance/checkins/pages.py,
decision 182): each visit still shows its own link's expiry, carries its own CSRF token that
the submit accepts, and speaks its participant's language, in whatever order visits come; after
a dip, each thank-you page sends its choice for its own link."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from django.utils import formats, timezone, translation

from agencies.tenancy import agency_scope
from tests.checkins.test_checkins import answers, new_link
from tests.factories import make_participant

pytestmark = pytest.mark.django_db

SENT_EN = "Your answers have been sent to your peer specialist."
SENT_ES = "Tus respuestas le llegaron a tu compañero o compañera de apoyo."
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def csrf_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def shown_until(checkin) -> str:
    """The expiry as the participant reads it: their zone, the page's date style."""
    with translation.override("en"):
        local = timezone.localtime(checkin.expires_at, NEW_YORK)
        return formats.date_format(local, "DATETIME_FORMAT")


@pytest.fixture
def participant(agency_a, peer_a, instrument):
    return make_participant(agency_a, peer=peer_a, time_zone="America/New_York")


def test_every_visit_shows_its_own_links_expiry_in_the_participants_zone(participant):
    week, week_url = new_link(participant, expires_in=timedelta(days=7))
    hours, hours_url = new_link(participant, expires_in=timedelta(hours=2))
    assert shown_until(week) != shown_until(hours)
    first, second, again = Client().get(week_url), Client().get(hours_url), Client().get(week_url)
    assert f"This link works until {shown_until(week)}" in first.text
    assert f"This link works until {shown_until(hours)}" in second.text
    assert shown_until(week) not in second.text
    assert f"This link works until {shown_until(week)}" in again.text


def test_every_visit_gets_its_own_csrf_token_and_each_submit_is_accepted(agency_a, participant):
    _one, one_url = new_link(participant)
    _two, two_url = new_link(participant)
    phone_one, phone_two = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one, page_two = phone_one.get(one_url), phone_two.get(two_url)
    assert csrf_of(page_one) != csrf_of(page_two)
    sent_one = {**answers(agency_a, 5), "csrfmiddlewaretoken": csrf_of(page_one)}
    sent_two = {**answers(agency_a, 5), "csrfmiddlewaretoken": csrf_of(page_two)}
    assert SENT_EN in phone_one.post(one_url, sent_one).text
    assert SENT_EN in phone_two.post(two_url, sent_two).text
    # A token that is not this phone's is refused, as on any page.
    _three, three_url = new_link(participant)
    phone_three = Client(enforce_csrf_checks=True)
    phone_three.get(three_url)
    forged = {**answers(agency_a, 5), "csrfmiddlewaretoken": csrf_of(page_one)}
    assert phone_three.post(three_url, forged).status_code == 403


def test_pages_follow_each_participants_language_in_any_order(agency_a, peer_a, participant):
    rosa = make_participant(agency_a, peer=peer_a, language="es", preferred_name="Rosa")
    _en, en_url = new_link(participant)
    _es, es_url = new_link(rosa)
    _en2, en2_url = new_link(participant)
    assert '<html lang="en">' in Client().get(en_url).text
    assert '<html lang="es">' in Client().get(es_url).text
    assert '<html lang="en">' in Client().get(en2_url).text
    assert SENT_EN in Client().post(en_url, answers(agency_a, 5)).text
    thanks_es = Client().post(es_url, answers(agency_a, 5)).text
    assert SENT_ES in thanks_es and SENT_EN not in thanks_es
    assert SENT_EN in Client().post(en2_url, answers(agency_a, 5)).text


def test_a_browser_with_pending_messages_still_sees_them(participant):
    """A browser holding messages (a staff member's, on a shared device) gets the page
    rendered for it, so its messages show as on any other page."""
    _checkin, url = new_link(participant)
    Client().get(url)  # this process now keeps the page
    storage = CookieStorage(RequestFactory().get("/"))
    browser = Client()
    browser.cookies[CookieStorage.cookie_name] = storage._encode(
        [Message(constants.INFO, "The tablet is ready for the participant.")]
    )
    page = browser.get(url)
    assert page.status_code == 200
    assert "The tablet is ready for the participant." in page.text


def test_forms_built_from_the_kept_fields_do_not_share_answers_errors_or_widgets(
    agency_a, instrument
):
    from alliance.checkins.forms import CheckInForm
    from tests.checkins.test_checkins import items_of

    items = items_of(agency_a)
    scale = next(item for item in items if item.kind == "scale")
    name = f"item_{scale.pk}"
    wrong = CheckInForm({name: "9"}, items=items, language="en")
    right = CheckInForm({name: "4"}, items=items, language="en")
    assert not wrong.is_valid() and name in wrong.errors
    assert right.is_valid() and right.answers() == {str(scale.pk): 4}
    wrong.fields[name].widget.attrs["aria-invalid"] = "true"  # what an error page may set
    assert "aria-invalid" not in right.fields[name].widget.attrs
    assert "aria-invalid" not in CheckInForm(items=items, language="en").fields[name].widget.attrs
    assert [value for value, _label in right.fields[name].choices] == [1, 2, 3, 4, 5]


def test_after_a_dip_each_phone_sends_its_choice_from_its_own_kept_page(
    agency_a, peer_a, participant
):
    from alliance.checkins.models import Alert

    rosa = make_participant(agency_a, peer=peer_a, language="es", preferred_name="Rosa")
    dee = make_participant(agency_a, peer=peer_a, preferred_name="Dee")
    pages = {}
    offers = {participant: "That matters to us.", rosa: "Eso nos importa.", dee: "That matters"}
    for who, offer in offers.items():
        phone = Client(enforce_csrf_checks=True)
        _checkin, url = new_link(who)
        form = phone.get(url)
        sent = {**answers(agency_a, 1), "csrfmiddlewaretoken": csrf_of(form)}
        thanks = phone.post(url, sent)
        assert offer in thanks.text
        action = re.search(r'<form method="post" action="([^"]+)"', thanks.text).group(1)
        assert action == f"{url}choice/"
        pages[who.pk] = (phone, action, csrf_of(thanks))
    choices = {participant.pk: "supervisor", rosa.pk: "nothing", dee.pk: "different_peer"}
    for pk, (phone, action, csrf) in pages.items():
        done = phone.post(action, {"choice": choices[pk], "csrfmiddlewaretoken": csrf})
        assert done.status_code == 200
    with agency_scope(agency_a):
        chosen = dict(Alert.objects.values_list("participant_id", "response__repair_choice"))
    assert chosen == choices
