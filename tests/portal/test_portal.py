"""The participant portal: a link without a login, in the participant's language."""

import json
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope, scopes_disabled
from participants import services
from participants.models import (
    BoundaryAgreement,
    BoundaryTemplate,
    ChannelConsent,
    Contact,
    CulturalProfile,
    CulturalProfileChange,
    PortalLink,
)
from tests.factories import make_member, make_participant

pytestmark = pytest.mark.django_db

PORTAL_PAGES = ["", "profile/", "preferences/"]
DOWNLOADS = ["export.json", "export.csv"]
WATCHED = [
    AuditEvent,
    BoundaryAgreement,
    BoundaryTemplate,
    ChannelConsent,
    Contact,
    CulturalProfile,
    CulturalProfileChange,
    PortalLink,
]


# Helpers -------------------------------------------------------------------------------------


def issue_link(participant, by=None) -> str:
    """A fresh portal link for `participant`, as staff issue it; returns the raw token."""
    by = by or make_member(participant.agency, Role.PEER).user
    with agency_scope(participant.agency):
        _link, raw = services.portal_link_create(participant=participant, created_by=by)
    return raw


def url(token: str, page: str = "") -> str:
    return f"/p/{token}/{page}"


def snapshot() -> dict:
    """Row counts and last-changed values of every table the portal touches, all agencies."""
    with scopes_disabled():
        state = {model.__name__: model.objects.count() for model in WATCHED}
        state["profiles"] = list(CulturalProfile.objects.values_list("updated_at", flat=True))
        state["links"] = list(PortalLink.objects.values_list("revoked_at", "expires_at"))
        state["acks"] = list(BoundaryAgreement.objects.values_list("acknowledged_at", flat=True))
    state["Session"] = Session.objects.count()
    return state


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", q["sql"], re.IGNORECASE)
    ]


def publish(agency, version_text="Weekdays 9 to 5", by=None) -> BoundaryTemplate:
    by = by or make_member(agency, Role.ADMIN).user
    with agency_scope(agency):
        latest = BoundaryTemplate.objects.order_by("-version").first()
        return BoundaryTemplate.objects.create(
            agency=agency,
            version=(latest.version + 1) if latest else 1,
            staff_contact_hours=version_text,
            response_time="Within one working day",
            peer_support_covers="Support from someone with lived experience",
            peer_support_does_not_cover="Emergencies: call 988",
            confidentiality_limits="Danger to yourself or others",
            published_by=by,
        )


def log_contact(participant, note="Talked about the new job", kind="call", minutes=20):
    staff = make_member(participant.agency, Role.PEER)
    with agency_scope(participant.agency):
        return Contact.objects.create(
            agency=participant.agency,
            participant=participant,
            staff=staff,
            kind=kind,
            duration_minutes=minutes,
            note=note,
        )


def profile_data(**overrides) -> dict:
    """The profile form as an untouched empty profile submits it."""
    data = {
        "language": "en",
        "pronouns": "",
        "cultural_identity": "",
        "faith_practice": "",
        "recovery_pathway_other": "",
        "communication_style": "",
        "feels_respected_when": "",
        "approach_with_care": "",
        "observance_dates": "",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "max_contacts_per_week": "",
    }
    data.update(overrides)
    return data


def ack_fields(client, token) -> dict:
    """The hidden fields of the acknowledgement form on the home page."""
    html = client.get(url(token)).content.decode()
    return dict(re.findall(r'<input type="hidden" name="(version|terms)" value="([^"]*)"', html))


@pytest.fixture
def participant(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Rosa", pronouns="she/her")


@pytest.fixture
def token(participant, peer_a):
    return issue_link(participant, by=peer_a.user)


@pytest.fixture
def client():
    return Client()


# Opening the link never writes ---------------------------------------------------------------


@pytest.mark.parametrize("page", PORTAL_PAGES + DOWNLOADS)
def test_get_writes_nothing(client, participant, token, page):
    publish(participant.agency)
    log_contact(participant)
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):
            assert client.get(url(token, page)).status_code == 200
            assert client.head(url(token, page)).status_code == 200
    assert writes(queries.captured_queries) == []
    assert snapshot() == before


def test_get_of_unusable_links_writes_nothing(client, participant, token):
    with agency_scope(participant.agency):
        services.portal_link_revoke(participant=participant, revoked_by=None)
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(token)).status_code == 404
        assert client.get(url("not-a-token")).status_code == 404
    assert writes(queries.captured_queries) == []
    assert snapshot() == before


def test_home_page_queries_are_few_and_constant(
    client, participant, token, django_assert_max_num_queries
):
    publish(participant.agency)
    with CaptureQueriesContext(connection) as few:
        client.get(url(token))
    publish(participant.agency)
    for _ in range(3):
        log_contact(participant)
    with agency_scope(participant.agency):
        for channel in ("sms", "email"):
            services.channel_consent_set(
                participant=participant, channel=channel, granted=True, recorded_by=None
            )
    # 8, plus the peer's introduction, the disclosures, "who has seen my record", the promises
    # made to the participant and their check-ins (one each).
    with django_assert_max_num_queries(13):
        response = client.get(url(token))
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as full:
        client.get(url(token))
    assert len(full.captured_queries) == len(few.captured_queries)


# Headers, markup -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PORTAL_PAGES)
def test_pages_are_plain_html_private_and_labelled(client, token, page):
    response = client.get(url(token, page))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script" not in html.lower()
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    # Every form posts plainly; every visible control has a label.
    for form in re.findall(r"<form[^>]*>", html):
        assert 'method="post"' in form
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    for control_id in ids:
        assert f'for="{control_id}"' in html, control_id


def test_home_shows_the_record(client, participant, token):
    with agency_scope(participant.agency):
        profile = CulturalProfile.objects.get(participant=participant)
        profile.cultural_identity = "Boricua"
        profile.recovery_pathways = ["harm_reduction"]
        profile.save()
        services.channel_consent_set(
            participant=participant, channel="sms", granted=True, recorded_by=None
        )
    html = client.get(url(token)).content.decode()
    assert "Rosa" in html and "she/her" in html and "Boricua" in html
    assert "Harm reduction" in html
    assert re.search(r"Okay to text</dt><dd>Yes", html)
    assert re.search(r"Okay to email</dt><dd>No", html)
    assert "has not published its boundaries agreement yet" in html
    assert "Agency A" in html
    assert "Agency A" not in re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_page_is_in_the_participants_language(client, agency_a):
    participant = make_participant(agency_a, language="es")
    token = issue_link(participant)
    response = client.get(url(token), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert response["Content-Language"] == "es"
    # Django's own Spanish catalog translates the language names: proof the override applied.
    assert "Español" in html
    profile_page = client.get(url(token, "profile/"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in profile_page and "Inglés" in profile_page
    # Field errors are in Spanish too.
    bad = client.post(
        url(token, "profile/"),
        profile_data(language="es", quiet_hours_start="25:99", quiet_hours_end="07:00"),
    )
    assert bad.status_code == 400 and "Introduzca una hora válida" in bad.content.decode()


def test_english_profile_renders_in_english_for_a_spanish_browser(client, token):
    response = client.get(url(token), HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="en">' in response.content.decode()
    assert response["Content-Language"] == "en"


# Link life cycle -----------------------------------------------------------------------------


def unusable_body(response) -> str:
    return response.content.decode()


def test_link_life_cycle(client, participant, token, peer_a):
    assert client.get(url(token)).status_code == 200
    unknown = client.get(url("x" * 43))
    assert unknown.status_code == 404
    assert "ask your peer specialist" in unknown.content.decode()

    newer = issue_link(participant, by=peer_a.user)
    older = client.get(url(token))
    assert older.status_code == 404
    assert client.get(url(newer)).status_code == 200

    with agency_scope(participant.agency):
        services.portal_link_revoke(participant=participant, revoked_by=peer_a.user)
    revoked = client.get(url(newer))
    assert revoked.status_code == 404

    latest = issue_link(participant, by=peer_a.user)
    assert client.get(url(latest)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        expired = client.get(url(latest))
        assert expired.status_code == 404
        for page in ["profile/", *DOWNLOADS]:
            assert client.get(url(latest, page)).status_code == 404
        assert client.post(url(latest, "profile/"), profile_data()).status_code == 404

    # Unknown, replaced, revoked and expired look exactly alike.
    assert unusable_body(unknown) == unusable_body(older) == unusable_body(revoked)
    assert unusable_body(revoked) == unusable_body(expired)


def test_unusable_page_does_not_reveal_the_participants_language(client, agency_a):
    participant = make_participant(agency_a, language="es")
    token = issue_link(participant)
    with agency_scope(agency_a):
        services.portal_link_revoke(participant=participant, revoked_by=None)
    revoked = client.get(url(token), HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.get(url("y" * 43), HTTP_ACCEPT_LANGUAGE="en")
    assert revoked.content == unknown.content
    assert '<html lang="en">' in revoked.content.decode()


def test_link_of_an_inactive_agency_does_not_work(client, participant, token, agency_a):
    agency_a.is_active = False
    agency_a.save()
    assert client.get(url(token)).status_code == 404


def test_post_through_a_revoked_link_changes_nothing(client, participant, token, peer_a):
    with agency_scope(participant.agency):
        services.portal_link_revoke(participant=participant, revoked_by=peer_a.user)
    before = snapshot()
    assert client.post(url(token, "preferences/"), {"sms": "on"}).status_code == 404
    assert client.post(url(token, "profile/"), profile_data(pronouns="he")).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "bad_token",
    ["a", "x" * 129, "x" * 5000, "%00", "%C3%B1" * 30, "..", "%2e%2e", "'; DROP TABLE x;--", "%FF"],
)
def test_malformed_tokens_are_a_plain_404(client, bad_token):
    response = client.get(f"/p/{bad_token}/")
    assert response.status_code == 404
    assert client.post(f"/p/{bad_token}/profile/", {"language": "en"}).status_code == 404


def test_wrong_methods_answer_405(client, token):
    assert client.post(url(token)).status_code == 405
    assert client.get(url(token, "boundaries/acknowledge/")).status_code == 405
    assert client.post(url(token, "export.json")).status_code == 405
    assert client.put(url(token, "profile/")).status_code == 405


# Rate limit ----------------------------------------------------------------------------------


def test_failed_lookups_are_rate_limited_per_ip(client, token):
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for n in range(20):
            assert client.get(url(f"unknown-{n}")).status_code == 404, n
        limited = client.get(url("unknown-21"))
        assert limited.status_code == 429
        html = limited.content.decode()
        assert "ask your peer specialist" in html and "try again in a minute" in html
        assert limited["Retry-After"] == "60"
        # Another address is not limited, and a working link still works from this one.
        other = Client(REMOTE_ADDR="10.0.0.2")
        assert other.get(url("unknown-x")).status_code == 404
        assert client.get(url(token)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert client.get(url("unknown-later")).status_code == 404


# Profile -------------------------------------------------------------------------------------


def test_profile_edit_is_recorded_as_by_the_participant(client, participant, token):
    response = client.post(
        url(token, "profile/"),
        profile_data(
            pronouns="they/them",
            cultural_identity="Diné",
            recovery_pathways=["mutual_help", "other"],
            recovery_pathway_other="Running",
            observance_weekdays=["6"],
            observance_dates="2026-12-24\r\n2026-12-25",
            quiet_hours_start="21:00",
            quiet_hours_end="08:00",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url(token) + "?done=profile"
    with agency_scope(participant.agency):
        change = CulturalProfileChange.objects.get(participant=participant)
        profile = CulturalProfile.objects.get(participant=participant)
        participant.refresh_from_db()
        event = AuditEvent.objects.get(action="profile.updated")
    assert change.by_participant is True and change.changed_by is None
    assert set(change.fields) == {
        "pronouns",
        "cultural_identity",
        "recovery_pathways",
        "recovery_pathway_other",
        "observance_weekdays",
        "observance_dates",
        "quiet_hours_start",
        "quiet_hours_end",
    }
    assert participant.pronouns == "they/them"
    assert profile.observance_dates == ["2026-12-24", "2026-12-25"]
    assert event.actor is None and event.actor_label == "participant-link"
    home = client.get(response["Location"]).content.decode()
    assert "Your profile is saved." in home and "Diné" in home and "Sunday" in home


def test_profile_double_submit_stores_once_and_form_shows_saved_dates(client, participant, token):
    data = profile_data(cultural_identity="Boricua", observance_dates="2026-12-24\r\n2027-01-06")
    assert client.post(url(token, "profile/"), data).status_code == 302
    assert client.post(url(token, "profile/"), data).status_code == 302
    with agency_scope(participant.agency):
        assert CulturalProfileChange.objects.filter(participant=participant).count() == 1
    page = client.get(url(token, "profile/")).content.decode()
    assert "2026-12-24\r\n2027-01-06</textarea>" in page
    assert "[" not in re.search(r'name="observance_dates"[^>]*>(.*?)</textarea>', page, re.S)[1]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"language": "fr"}, "language"),
        ({"recovery_pathways": ["bogus"]}, "recovery_pathways"),
        ({"observance_weekdays": ["9"]}, "observance_weekdays"),
        ({"observance_dates": "2026-02-30"}, "observance_dates"),
        ({"observance_dates": "\n".join(["2026-01-01"] * 61)}, "observance_dates"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "nope", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"max_contacts_per_week": "99999999999"}, "max_contacts_per_week"),
        ({"max_contacts_per_week": "-1"}, "max_contacts_per_week"),
        ({"cultural_identity": "x" * 100_000}, "cultural_identity"),
        ({"pronouns": "p" * 41}, "pronouns"),
    ],
)
def test_bad_profile_input_shows_field_errors_and_saves_nothing(
    client, participant, token, overrides, field
):
    # A valid change travels with the bad one: it must not be saved either.
    before = snapshot()
    response = client.post(
        url(token, "profile/"), profile_data(faith_practice="Quaker", **overrides)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist' in html and "Nothing was saved" in html
    assert f'id="id_{field}_error"' in html or f'id="id_{field}"' in html
    assert snapshot() == before
    with agency_scope(participant.agency):
        assert CulturalProfile.objects.get(participant=participant).faith_practice == ""


def test_request_bigger_than_the_upload_limit_is_a_400_not_a_500(client, participant, token):
    before = snapshot()
    response = client.post(url(token, "profile/"), profile_data(cultural_identity="x" * 3_000_000))
    assert response.status_code == 400
    assert snapshot() == before


def test_csrf_is_enforced_and_works_without_a_session(participant, token):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url(token, "preferences/"), {"sms": "on"}).status_code == 403
    page = browser.get(url(token, "preferences/")).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = browser.post(url(token, "preferences/"), {"sms": "on", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert Session.objects.count() == 0


# Contact preferences -------------------------------------------------------------------------


def test_channel_consents_grant_and_revoke_once(client, participant, token):
    assert client.post(url(token, "preferences/"), {"sms": "on"}).status_code == 302
    assert client.post(url(token, "preferences/"), {"sms": "on"}).status_code == 302
    with agency_scope(participant.agency):
        consents = {c.channel: c for c in ChannelConsent.objects.filter(participant=participant)}
        assert set(consents) == {"sms"}  # nothing recorded for email, which did not change
        assert consents["sms"].is_granted and consents["sms"].recorded_by is None
        assert AuditEvent.objects.filter(action="consent.granted").count() == 1
    page = client.get(url(token, "preferences/")).content.decode()
    assert re.search(r'<input type="checkbox" name="sms"[^>]*checked', page)

    assert client.post(url(token, "preferences/"), {"email": "on"}).status_code == 302
    with agency_scope(participant.agency):
        consents = {c.channel: c for c in ChannelConsent.objects.filter(participant=participant)}
    assert not consents["sms"].is_granted and consents["sms"].revoked_at is not None
    assert consents["email"].is_granted
    home = client.get(url(token) + "?done=preferences").content.decode()
    assert "Your contact preferences are saved." in home


def test_unknown_notice_codes_show_nothing(client, token):
    html = client.get(url(token) + "?done=<b>hacked</b>").content.decode()
    assert "hacked" not in html and 'class="message' not in html


# Boundaries agreement ------------------------------------------------------------------------


def test_acknowledgement_is_recorded_once(client, participant, token):
    template = publish(participant.agency)
    fields = ack_fields(client, token)
    assert fields["version"] == str(template.version)
    first_time = timezone.now() - timedelta(hours=1)
    with time_machine.travel(first_time, tick=False):
        response = client.post(url(token, "boundaries/acknowledge/"), fields)
    assert response.status_code == 302 and response["Location"].endswith("?done=boundaries")
    second = client.post(url(token, "boundaries/acknowledge/"), fields)
    assert second.status_code == 302
    with agency_scope(participant.agency):
        agreement = BoundaryAgreement.objects.get(participant=participant)
        assert AuditEvent.objects.filter(action="boundaries.acknowledged").count() == 1
        event = AuditEvent.objects.get(action="boundaries.acknowledged")
    assert agreement.acknowledged_at == first_time
    assert event.actor_label == "participant-link"
    home = client.get(url(token)).content.decode()
    assert "You acknowledged this agreement on" in home
    assert "I have read this agreement" not in home


def test_a_new_version_asks_for_a_new_acknowledgement(client, participant, token):
    publish(participant.agency)
    old_fields = ack_fields(client, token)
    client.post(url(token, "boundaries/acknowledge/"), old_fields)
    publish(participant.agency, version_text="Weekdays 8 to 6")
    home = client.get(url(token)).content.decode()
    assert "Weekdays 8 to 6" in home and "I have read this agreement" in home
    # A page loaded before the new version was published does not acknowledge the new one.
    response = client.post(url(token, "boundaries/acknowledge/"), old_fields)
    assert response["Location"].endswith("?done=changed")
    with agency_scope(participant.agency):
        current = BoundaryAgreement.objects.filter(
            participant=participant, template__version=2, acknowledged_at__isnull=False
        )
        assert not current.exists()
    assert client.post(url(token, "boundaries/acknowledge/"), ack_fields(client, token))
    with agency_scope(participant.agency):
        assert current.exists()


def test_changed_personal_terms_need_the_page_reloaded(client, participant, token, peer_a):
    template = publish(participant.agency)
    stale = ack_fields(client, token)
    with agency_scope(participant.agency):
        services.boundary_terms_set(
            participant=participant,
            template=template,
            personal_terms="Texts only after 9am",
            changed_by=peer_a.user,
        )
    assert client.post(url(token, "boundaries/acknowledge/"), stale)["Location"].endswith(
        "?done=changed"
    )
    home = client.get(url(token)).content.decode()
    assert "Texts only after 9am" in home
    client.post(url(token, "boundaries/acknowledge/"), ack_fields(client, token))
    with agency_scope(participant.agency):
        assert BoundaryAgreement.objects.get(participant=participant).acknowledged_at


@pytest.mark.parametrize(
    "data", [{}, {"version": "abc", "terms": "x"}, {"version": "9" * 30, "terms": "y" * 5000}]
)
def test_bad_acknowledgement_input_saves_nothing(client, participant, token, data):
    publish(participant.agency)
    before = snapshot()
    response = client.post(url(token, "boundaries/acknowledge/"), data)
    assert response.status_code == 302 and response["Location"].endswith("?done=changed")
    assert snapshot() == before


def test_acknowledging_without_a_published_agreement_does_nothing(client, participant, token):
    before = snapshot()
    assert client.post(url(token, "boundaries/acknowledge/"), {"version": "1"}).status_code == 302
    assert snapshot() == before


# Downloads -----------------------------------------------------------------------------------


@pytest.fixture
def two_agencies_with_records(agency_a, agency_b, participant, token):
    with agency_scope(agency_a):
        profile = CulturalProfile.objects.get(participant=participant)
        profile.cultural_identity = "Boricua"
        profile.observance_weekdays = [6]
        profile.save()
        services.channel_consent_set(
            participant=participant, channel="email", granted=True, recorded_by=None
        )
    template = publish(agency_a)
    with agency_scope(agency_a):
        services.boundary_acknowledge(participant=participant, template=template)
    log_contact(participant, note='=HYPERLINK("http://evil")', kind="in_person", minutes=45)
    log_contact(participant, note="Ana's note about housing")

    other = make_participant(agency_b, preferred_name="Zed", language="es")
    with agency_scope(agency_b):
        other_profile = CulturalProfile.objects.get(participant=other)
        other_profile.cultural_identity = "Other-identity-B"
        other_profile.save()
    publish(agency_b, version_text="Agency B hours")
    log_contact(other, note="Zed's secret note")
    return token, issue_link(other)


def test_json_export_holds_the_participants_record_only(client, two_agencies_with_records):
    token, other_token = two_agencies_with_records
    before = snapshot()
    response = client.get(url(token, "export.json"))
    assert snapshot() == before
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Rosa" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    record = json.loads(response.content)
    assert record["about_you"]["preferred_name"] == "Rosa"
    assert record["cultural_profile"]["cultural_identity"] == "Boricua"
    assert record["contact_preferences"]["okay_to_email"] is True
    assert record["contact_preferences"]["okay_to_text"] is False
    assert record["contact_preferences"]["weekly_days_without_contact"] == ["Sunday"]
    assert [a["version"] for a in record["boundaries_agreements"]] == [1]
    assert record["boundaries_agreements"][0]["acknowledged_at"]
    notes = [c["note"] for c in record["contact_log"]]
    assert notes == ['=HYPERLINK("http://evil")', "Ana's note about housing"]
    assert {c["kind"] for c in record["contact_log"]} == {"In person", "Call"}
    assert record["contact_log"][0]["duration_minutes"] == 45
    text = response.content.decode()
    assert "Zed" not in text and "Other-identity-B" not in text and "Agency B" not in text

    other = json.loads(client.get(url(other_token, "export.json")).content)
    assert other["about_you"]["preferred_name"] == "Zed"
    assert other["cultural_profile"]["language"] == "Español"
    assert [c["note"] for c in other["contact_log"]] == ["Zed's secret note"]
    assert "Rosa" not in json.dumps(other) and "Boricua" not in json.dumps(other)


def test_csv_export_holds_the_record_and_cannot_run_formulas(client, two_agencies_with_records):
    token, _other = two_agencies_with_records
    response = client.get(url(token, "export.csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "section,entry,field,value"
    assert "about_you,,preferred_name,Rosa" in lines
    assert "cultural_profile,,cultural_identity,Boricua" in lines
    assert "contact_preferences,,okay_to_email,yes" in lines
    assert "Ana's note about housing" in text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "Zed" not in text and "Other-identity-B" not in text


def test_token_of_agency_b_never_shows_agency_a_data(client, two_agencies_with_records):
    _token, other_token = two_agencies_with_records
    for page in PORTAL_PAGES + DOWNLOADS:
        body = client.get(url(other_token, page)).content.decode("utf-8-sig")
        assert "Rosa" not in body and "Boricua" not in body and "Weekdays 9 to 5" not in body
        assert "Agency A" not in body
    home = client.get(url(other_token)).content.decode()
    assert "Zed" in home and "Agency B hours" in home


def test_a_post_through_agency_bs_link_changes_only_bs_participant(
    client, participant, two_agencies_with_records
):
    _token, other_token = two_agencies_with_records
    client.post(url(other_token, "profile/"), profile_data(language="es", pronouns="ze"))
    with agency_scope(participant.agency_id):
        participant.refresh_from_db()
    assert participant.pronouns == "she/her"
    with scopes_disabled():
        changes = list(CulturalProfileChange.objects.values_list("agency__slug", flat=True))
    assert changes == ["agency-b"]


# Logs ----------------------------------------------------------------------------------------


def test_tokens_and_names_stay_out_of_the_logs(client, participant, token, caplog):
    caplog.set_level(logging.DEBUG)
    client.get(url(token))
    client.post(url(token, "profile/"), profile_data(language="fr"))  # 400
    client.post(url(token))  # 405
    client.get(url("unknown-token-value"))  # 404
    assert token not in caplog.text
    assert "unknown-token-value" not in caplog.text
    assert "Rosa" not in caplog.text
