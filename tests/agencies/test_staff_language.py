"""Issue 14, point 7: staff choose the language of their pages in their profile, over the
browser's; the Spanish catalog keeps one register; the boundaries agreement is written per
language and the portal shows the participant's."""

import re

import polib
import pytest
from django.conf import settings

from agencies.models import User
from agencies.tenancy import agency_scope
from participants.models import BoundaryTemplate
from tests.conftest import client_for
from tests.factories import make_participant
from tests.portal.test_portal import issue_link, url

pytestmark = pytest.mark.django_db


def home(client, agency, browser="en"):
    return client.get(f"/a/{agency.slug}/", HTTP_ACCEPT_LANGUAGE=browser)


def choose(client, agency, language):
    return client.post(f"/a/{agency.slug}/me/profile/", {"language": language})


@pytest.mark.parametrize(
    "chosen, browser, expected",
    [("", "es", "es"), ("", "en", "en"), ("es", "en", "es"), ("en", "es", "en")],
)
def test_the_profile_language_wins_over_the_browsers(peer_a, agency_a, chosen, browser, expected):
    client = client_for(peer_a.user)
    response = choose(client, agency_a, chosen)
    assert response.status_code == 302
    assert User.objects.get(pk=peer_a.user.pk).language == chosen
    response = home(client, agency_a, browser)
    assert response["Content-Language"] == expected
    assert f'<html lang="{expected}">' in response.content.decode()


def test_the_profile_page_offers_the_browser_and_each_language(peer_a, agency_a):
    client = client_for(peer_a.user)
    page = client.get(f"/a/{agency_a.slug}/me/profile/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "The browser&#x27;s language" in html or "The browser’s language" in html
    assert 'value="es"' in html and 'value="en"' in html
    assert choose(client, agency_a, "fr").status_code == 400
    choose(client, agency_a, "es")
    response = client.get(f"/a/{agency_a.slug}/me/profile/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Idioma de las páginas" in response.content.decode()


def test_a_participants_pages_keep_the_participants_language(peer_a, agency_a):
    """A staff member who reads Spanish opening an English speaker's portal link sees it in
    English: the portal speaks the participant's language."""
    participant = make_participant(agency_a, peer=peer_a, language="en")
    client = client_for(peer_a.user)
    choose(client, agency_a, "es")
    response = client.get(url(issue_link(participant)))
    assert response["Content-Language"] == "en"


def test_the_spanish_catalog_uses_tu_throughout():
    """Decision 28: tú for everyone, staff included. Usted forms ("su contraseña", "¿Ha
    olvidado…?", "Comparta usted") are caught here."""
    po = polib.pofile(str(settings.BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    usted = re.compile(
        r"\busted(es)?\b|\bsu contraseña\b|\bha olvidado\b|\bingrese\b|\bintroduzca\b"
        r"|\bhaga clic\b|\bpulse\b|\bseleccione\b|\bcompruebe\b|\bcomparta\b",
        re.IGNORECASE,
    )
    found = [
        entry.msgid
        for entry in po
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if usted.search(text)
    ]
    assert found == []
    # "Idioma" where the word means the language one reads.
    [language] = [e for e in po if e.msgid == "Language" and not e.msgctxt]
    assert language.msgstr == "Idioma"


def test_the_agreement_is_written_per_language_and_each_participant_reads_theirs(
    admin_a_client, agency_a, peer_a
):
    data = {
        "staff_contact_hours": "Weekdays 9 to 5",
        "response_time": "Within one working day",
        "peer_support_covers": "Listening and planning",
        "peer_support_does_not_cover": "Emergencies: call 988",
        "confidentiality_limits": "Danger to yourself or others",
        "in-es-staff_contact_hours": "De lunes a viernes, de 9 a 5",
        "in-es-response_time": "En un día laborable",
        "in-es-peer_support_covers": "Escuchar y planear",
        "in-es-peer_support_does_not_cover": "",  # left empty: the English text shows
        "in-es-confidentiality_limits": "Peligro para ti o para otras personas",
    }
    response = admin_a_client.post(f"/a/{agency_a.slug}/boundaries/", data)
    assert response.status_code == 302
    with agency_scope(agency_a):
        template = BoundaryTemplate.objects.get()
    assert template.language == "en"
    assert template.translations["es"]["response_time"] == "En un día laborable"
    assert "peer_support_does_not_cover" not in template.translations["es"]

    ana = make_participant(agency_a, peer=peer_a, language="es")
    bo = make_participant(agency_a, peer=peer_a, language="en")
    token = issue_link(ana)
    page = admin_a_client.get(url(token)).content.decode()
    assert "De lunes a viernes, de 9 a 5" in page and "Weekdays 9 to 5" not in page
    assert '<dd lang="en">Emergencies: call 988</dd>' in page
    english = admin_a_client.get(url(issue_link(bo))).content.decode()
    assert "Weekdays 9 to 5" in english and "De lunes a viernes" not in english
    # The staff page keeps the translation for the next version.
    form_page = admin_a_client.get(f"/a/{agency_a.slug}/boundaries/").content.decode()
    assert "En un día laborable" in form_page


def test_staff_emails_follow_the_staff_members_language(agency_a, peer_a, mailoutbox):
    from alliance.messaging.models import Delivery
    from tests.factories import make_commitment
    from tests.messaging.test_delivery import send_now

    User.objects.filter(pk=peer_a.user.pk).update(language="es")
    participant = make_participant(agency_a, peer=peer_a, language="en")
    make_commitment(participant, staff=peer_a, hours_ahead=25)
    with agency_scope(agency_a):
        row = Delivery.objects.get(channel="email", offset_key="-24h", membership=peer_a)
    send_now(row)
    [message] = mailoutbox
    assert message.subject == "Recordatorio de Rapport"
