"""Staff pages about participants: caseloads, records, consent, boundaries, contacts, audit."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope
from participants.models import (
    BoundaryTemplate,
    ChannelConsent,
    Contact,
    CulturalProfile,
    CulturalProfileChange,
    DisclosureConsent,
    Participant,
    ParticipantStatus,
)
from tests.conftest import client_for
from tests.factories import make_disclosure_consent, make_member, make_participant

pytestmark = pytest.mark.django_db

BASE = "/a/agency-a/participants/"


def new_participant_form(**overrides):
    return {
        "preferred_name": "Dee",
        "pronouns": "she/her",
        "legal_name": "",
        "email": "dee@example.org",
        "phone": "(202) 555-0143",
        "time_zone": "",
        "enrolled_on": "2026-10-01",
        "assigned_peer": "",
        "external_id": "",
        "language": "es",
        **overrides,
    }


# Creating and editing -------------------------------------------------------------------------


def test_peer_adds_a_participant_with_normalised_phone_and_agency_zone(
    peer_a_client, agency_a, peer_a
):
    response = peer_a_client.post(BASE + "new/", new_participant_form(assigned_peer=peer_a.pk))
    assert response.status_code == 302
    with agency_scope(agency_a):
        participant = Participant.objects.get()
        profile = CulturalProfile.objects.get(participant=participant)
        assert AuditEvent.objects.filter(action="participant.created").count() == 1
    assert participant.phone == "+12025550143"
    assert participant.time_zone == agency_a.time_zone
    assert profile.language == "es"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("phone", "555-12", "not a valid phone number"),
        ("phone", "call me maybe", "Enter a phone number"),
        ("email", "dee@", "valid email"),
        ("time_zone", "Mars/Olympus", "valid choice"),
        ("enrolled_on", "2026-13-45", "valid date"),
        ("preferred_name", "   ", "This field is required"),
        ("preferred_name", "x" * 101, "at most 100 characters"),
    ],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(
    admin_a_client, agency_a, field, value, message
):
    response = admin_a_client.post(BASE + "new/", new_participant_form(**{field: value}))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    with agency_scope(agency_a):
        assert not Participant.objects.exists() and not CulturalProfile.objects.exists()


def test_user_written_text_is_escaped(admin_a_client, agency_a):
    admin_a_client.post(
        BASE + "new/", new_participant_form(preferred_name="<script>alert(1)</script>")
    )
    with agency_scope(agency_a):
        participant = Participant.objects.get()
    page = admin_a_client.get(f"{BASE}{participant.pk}/")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_a_peer_of_another_agency_cannot_be_assigned(admin_a_client, agency_b):
    other_peer = make_member(agency_b, Role.PEER)
    response = admin_a_client.post(BASE + "new/", new_participant_form(assigned_peer=other_peer.pk))
    assert response.status_code == 400 and "assigned_peer" in response.context["form"].errors


# Who sees whom --------------------------------------------------------------------------------


def test_peer_sees_only_their_caseload_and_others_are_404(agency_a, peer_a):
    mine = make_participant(agency_a, peer=peer_a, preferred_name="Mine")
    theirs = make_participant(agency_a, peer=make_member(agency_a), preferred_name="Theirs")
    browser = client_for(peer_a.user)
    caseload = browser.get(BASE)
    assert "Mine" in caseload.text and "Theirs" not in caseload.text
    assert browser.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert browser.get(f"{BASE}{mine.pk}/").status_code == 200


def test_supervisor_sees_everyone_and_filters(agency_a, supervisor_a, peer_a):
    make_participant(
        agency_a, peer=peer_a, preferred_name="Ana Paused", status=ParticipantStatus.PAUSED
    )
    make_participant(agency_a, preferred_name="Bo Active")
    browser = client_for(supervisor_a.user)
    assert "Ana Paused" in browser.get(BASE).text and "Bo Active" in browser.get(BASE).text
    paused = browser.get(BASE, {"status": "paused"}).text
    assert "Ana Paused" in paused and "Bo Active" not in paused
    # The name search is POSTed (never in the address) and kept for the next visits.
    searched = browser.post(BASE, {"q": "bo"})
    assert searched.status_code == 302 and "bo" not in searched["Location"].lower()
    by_name = browser.get(BASE).text
    assert "Bo Active" in by_name and "Ana Paused" not in by_name
    browser.post(BASE, {"q": "bo", "clear": "1"})
    by_peer = browser.get(BASE, {"peer": peer_a.pk}).text
    assert "Ana Paused" in by_peer and "Bo Active" not in by_peer


def test_caseload_sorts_by_time_since_last_contact(agency_a, supervisor_a, peer_a):
    never = make_participant(agency_a, preferred_name="Never")
    recent = make_participant(agency_a, preferred_name="Recent")
    old = make_participant(agency_a, preferred_name="Old")
    now = timezone.now()
    with agency_scope(agency_a):
        Contact.objects.create(agency=agency_a, participant=recent, staff=peer_a, occurred_at=now)
        Contact.objects.create(
            agency=agency_a, participant=old, staff=peer_a, occurred_at=now - timedelta(days=40)
        )
    page = client_for(supervisor_a.user).get(BASE, {"sort": "last_contact"})
    assert [p.pk for p in page.context["page"]] == [never.pk, old.pk, recent.pk]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"sort": "last_contact"},
        {"sort": "-last_contact", "status": "active"},
        {"sort": "alert", "flag": "contact_due"},
        {"sort": "score", "flag": "dropped"},
        {"sort": "next_commitment", "flag": "overdue"},
    ],
)
def test_caseload_query_count_is_constant_in_caseload_size(
    agency_a, supervisor_a, peer_a, django_assert_max_num_queries, query
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_for(supervisor_a.user)
    make_participant(agency_a, peer=peer_a)
    browser.get(BASE, query)
    with CaptureQueriesContext(connection) as one:
        browser.get(BASE, query)
    for _ in range(30):
        participant = make_participant(agency_a, peer=make_member(agency_a))
        with agency_scope(agency_a):
            Contact.objects.create(agency=agency_a, participant=participant, staff=peer_a)
    with django_assert_max_num_queries(len(one.captured_queries)) as many:
        response = browser.get(BASE, query)
    if "flag" not in query:
        assert len(response.context["page"]) == 25  # paginated
    # Participants are read twice (the count, then the page's rows with their last contact
    # and peer's name); the peer filter's choices once.
    participant_reads = [q["sql"] for q in many if 'FROM "participants_participant"' in q["sql"]]
    assert len(participant_reads) == (2 if len(response.context["page"]) else 1)
    if "flag" not in query:  # the count reads the columns only when a filter needs them
        assert not any('FROM "participants_contact"' in sql for sql in participant_reads[:1])


def test_caseload_peer_filter_offers_only_this_agencys_active_peers(
    agency_a, agency_b, supervisor_a, peer_a
):
    make_participant(agency_a, peer=peer_a, preferred_name="Ana Mine")
    make_participant(agency_a, preferred_name="Bo Unassigned")
    former = make_member(agency_a, Role.PEER, is_active=False)
    elsewhere = make_member(agency_b, Role.PEER)
    browser = client_for(supervisor_a.user)
    page = browser.get(BASE)
    offered = dict(page.context["filters"].fields["peer"].choices)
    assert peer_a.pk in offered and former.pk not in offered and elsewhere.pk not in offered
    for stranger in (former, elsewhere):
        response = browser.get(BASE, {"peer": stranger.pk})
        assert "peer" in response.context["filters"].errors
        # An invalid filter is ignored, as before: the whole list, with the error shown.
        assert "Ana Mine" in response.text and "Bo Unassigned" in response.text


def test_caseload_rows_show_name_link_status_peer_and_last_contact(agency_a, supervisor_a, peer_a):
    from django.urls import reverse

    peer_a.user.first_name, peer_a.user.last_name = "Pat", "Peer"
    peer_a.user.save()
    seen = make_participant(
        agency_a, peer=peer_a, preferred_name="Ana", pronouns="she/her", status="paused"
    )
    make_participant(agency_a, preferred_name="Bo")
    contact_at = timezone.now() - timedelta(days=3)
    with agency_scope(agency_a):
        Contact.objects.create(
            agency=agency_a, participant=seen, staff=peer_a, occurred_at=contact_at
        )
    text = client_for(supervisor_a.user).get(BASE).text
    link = reverse("participant_detail", args=["agency-a", seen.pk])
    in_zone = contact_at.astimezone(ZoneInfo(agency_a.time_zone))  # the page's zone
    assert f'<a href="{link}">Ana</a> <span class="muted">(she/her)</span>' in text
    assert '<span class="status status-paused">Paused</span>' in text
    assert ">Pat Peer</td>" in text and ">Unassigned</td>" in text
    assert f'<time datetime="{in_zone.isoformat()}"' in text and ">3 days ago</time>" in text
    assert "No contact yet" in text


@pytest.mark.parametrize(
    "query", [None, {"status": "paused", "sort": "-enrolled"}, {"peer": "0", "status": "x"}]
)
def test_caseload_filters_render_as_djangos_own_form_markup(agency_a, peer_a, query):
    """The filter form's own template (fast) writes what Django's as_div would."""
    import re

    from participants.forms import CaseloadFilterForm

    def markup(html):
        return re.sub(r">\s+<", "><", html.strip())

    with agency_scope(agency_a):
        form = CaseloadFilterForm(query)
        form.is_valid()
        assert markup(str(form)) == markup(form.as_div())
    if query and "peer" in query:
        assert 'aria-invalid="true" aria-describedby="id_peer_error"' in str(form)


# The participant page ---------------------------------------------------------------------------


def test_participant_page_shows_name_pronouns_first_and_is_audited(admin_a_client, agency_a):
    participant = make_participant(agency_a, preferred_name="Rosa", pronouns="ella")
    page = admin_a_client.get(f"{BASE}{participant.pk}/")
    assert page.status_code == 200
    assert '<h1>Rosa <span class="pronouns">(ella)</span></h1>' in page.text
    with agency_scope(agency_a):
        events = AuditEvent.objects.filter(
            action="participant.viewed.page", object_id=str(participant.pk)
        )
        assert events.count() == 1


def test_admin_reads_the_audit_trail_others_cannot(admin_a_client, agency_a, supervisor_a):
    participant = make_participant(agency_a)
    admin_a_client.get(f"{BASE}{participant.pk}/")
    trail = admin_a_client.get(f"{BASE}{participant.pk}/audit/")
    name = participant.preferred_name
    record = f'<a href="/a/agency-a/participants/{participant.pk}/">{name}&#x27;s record</a>'
    assert f"Test viewed {record}." in trail.text
    assert "participant.viewed" not in trail.text  # sentences, not codes
    assert client_for(supervisor_a.user).get(f"{BASE}{participant.pk}/audit/").status_code == 403


def test_staff_edit_a_participants_record_and_bad_input_changes_nothing(
    admin_a_client, agency_a, peer_a
):
    participant = make_participant(agency_a, preferred_name="Sam", phone="+12025550143")
    url = f"{BASE}{participant.pk}/edit/"
    data = {
        "preferred_name": "Sammy",
        "pronouns": "he/him",
        "legal_name": "",
        "email": "",
        "phone": "(202) 555-0144",
        "time_zone": agency_a.time_zone,
        "enrolled_on": "2026-01-05",
        "assigned_peer": peer_a.pk,
        "external_id": "",
    }
    saved = admin_a_client.post(url, data, follow=True)
    assert saved.status_code == 200 and "Saved." in saved.text
    with agency_scope(agency_a):
        participant.refresh_from_db()
    assert (participant.preferred_name, participant.phone, participant.assigned_peer_id) == (
        "Sammy",
        "+12025550144",  # stored in E.164
        peer_a.pk,
    )
    refused = admin_a_client.post(url, {**data, "preferred_name": "", "phone": "not a number"})
    assert refused.status_code == 400
    assert refused.context["form"].errors.keys() >= {"preferred_name", "phone"}
    with agency_scope(agency_a):
        participant.refresh_from_db()
    assert participant.preferred_name == "Sammy"


def test_profile_edit_records_who_changed_what(admin_a_client, agency_a, admin_a):
    participant = make_participant(agency_a)
    response = admin_a_client.post(
        f"{BASE}{participant.pk}/profile/",
        {
            "language": "es",
            "pronouns": "they/them",
            "recovery_pathways": ["medication", "mutual_help"],
            "observance_weekdays": ["6"],
            "observance_dates": "2026-12-24\n2026-12-25",
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
            "preferred_channels": ["sms"],
            "max_contacts_per_week": "3",
        },
    )
    assert response.status_code == 302
    with agency_scope(agency_a):
        profile = CulturalProfile.objects.get(participant=participant)
        change = CulturalProfileChange.objects.filter(participant=participant).first()
        participant.refresh_from_db()
    assert profile.observance_dates == ["2026-12-24", "2026-12-25"]
    assert profile.quiet_hours_start.hour == 21 and profile.observance_weekdays == [6]
    assert participant.pronouns == "they/them"
    assert change.changed_by == admin_a.user and not change.by_participant
    assert {"language", "pronouns", "quiet_hours_start"} <= set(change.fields)


def test_profile_rejects_half_quiet_hours_and_bad_dates(admin_a_client, agency_a):
    participant = make_participant(agency_a)
    response = admin_a_client.post(
        f"{BASE}{participant.pk}/profile/",
        {"language": "en", "quiet_hours_start": "21:00", "observance_dates": "Christmas"},
    )
    assert response.status_code == 400
    assert {"quiet_hours_end", "observance_dates"} <= set(response.context["form"].errors)


# Contacts and language hints ------------------------------------------------------------------


def test_logging_a_contact_saves_and_offers_person_first_hints(peer_a_client, agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    response = peer_a_client.post(
        f"{BASE}{participant.pk}/contacts/new/",
        {
            "occurred_at": "2026-11-20T15:30",
            "kind": "call",
            "duration_minutes": "20",
            "note": 'Talked about staying clean. She said "I\'m an addict, proud of my recovery".',
        },
        follow=True,
    )
    with agency_scope(agency_a):
        contact = Contact.objects.select_related("staff").get()
    assert contact.staff == peer_a and contact.duration_minutes == 20
    assert contact.occurred_at.hour == 20  # 15:30 in New York is 20:30 UTC
    text = response.text
    assert "“clean” → abstinent" in text
    assert "“addict”" not in text  # the participant's own words, in quotes, are left alone


@pytest.mark.parametrize(
    "note", ["He was a substance abuser for years.", "Group for alcohol abusers", "an ABUSER"]
)
def test_abuser_is_flagged_in_its_common_compounds(peer_a_client, note):
    """FOUND-IN-USE: "substance abuser" went unflagged while only "drug abuser" was listed."""
    response = peer_a_client.post("/a/agency-a/language/hints/", {"note": note})
    assert "with a substance use disorder" in response.text


def test_agency_terms_join_the_hints(admin_a_client, agency_a):
    admin_a_client.post(
        "/a/agency-a/language/", {"term": "Junkie", "alternative": "person who uses drugs"}
    )
    response = admin_a_client.post("/a/agency-a/language/hints/", {"note": "not a junkie"})
    assert "person who uses drugs" in response.text


# Status, transfer --------------------------------------------------------------------------------


def test_discharge_needs_date_and_reason(admin_a_client, agency_a):
    participant = make_participant(agency_a)
    bad = admin_a_client.post(f"{BASE}{participant.pk}/status/", {"status": "discharged"})
    assert bad.status_code == 400 and {"discharged_on", "reason"} <= set(bad.context["form"].errors)
    ok = admin_a_client.post(
        f"{BASE}{participant.pk}/status/",
        {"status": "discharged", "discharged_on": "2026-11-20", "reason": "Moved away"},
    )
    assert ok.status_code == 302
    with agency_scope(participant.agency_id):
        participant.refresh_from_db()
    assert participant.status == "discharged" and participant.discharge_reason == "Moved away"


def test_transfer_moves_the_participant_to_the_new_peers_caseload(admin_a_client, agency_a, peer_a):
    participant = make_participant(agency_a)
    admin_a_client.post(f"{BASE}{participant.pk}/transfer/", {"assigned_peer": peer_a.pk})
    assert client_for(peer_a.user).get(f"{BASE}{participant.pk}/").status_code == 200


def test_peers_cannot_transfer_or_discharge(peer_a_client, agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    assert peer_a_client.get(f"{BASE}{participant.pk}/transfer/").status_code == 403
    assert peer_a_client.get(f"{BASE}{participant.pk}/status/").status_code == 403


def test_a_peer_cannot_hand_their_participant_to_another_peer_by_editing_the_record(
    peer_a_client, agency_a, peer_a
):
    other_peer = make_member(agency_a, Role.PEER)
    participant = make_participant(agency_a, peer=peer_a, preferred_name="Sam")
    url = f"{BASE}{participant.pk}/edit/"
    page = peer_a_client.get(url)
    assert page.context["form"].fields["assigned_peer"].disabled
    data = {
        **new_participant_form(preferred_name="Sammy", assigned_peer=other_peer.pk),
        "time_zone": agency_a.time_zone,
    }
    saved = peer_a_client.post(url, data, follow=True)
    assert "Saved." in saved.text
    with agency_scope(agency_a):
        participant.refresh_from_db()
    # The rest of the edit is kept; the participant stays with their peer.
    assert (participant.preferred_name, participant.assigned_peer_id) == ("Sammy", peer_a.pk)


def test_a_new_participant_of_a_peer_is_theirs_whatever_the_form_says(
    peer_a_client, agency_a, peer_a
):
    other_peer = make_member(agency_a, Role.PEER)
    peer_a_client.post(f"{BASE}new/", new_participant_form(assigned_peer=other_peer.pk))
    with agency_scope(agency_a):
        assert Participant.objects.get(preferred_name="Dee").assigned_peer_id == peer_a.pk


def test_a_supervisor_changing_the_peer_on_the_edit_page_makes_a_transfer(
    agency_a, supervisor_a, peer_a
):
    participant = make_participant(agency_a)
    data = {**new_participant_form(assigned_peer=peer_a.pk), "time_zone": agency_a.time_zone}
    client_for(supervisor_a.user).post(f"{BASE}{participant.pk}/edit/", data)
    with agency_scope(agency_a):
        participant.refresh_from_db()
        transferred = AuditEvent.objects.filter(
            action="participant.transferred", object_id=str(participant.pk)
        )
        assert participant.assigned_peer_id == peer_a.pk and transferred.count() == 1
    assert client_for(peer_a.user).get(f"{BASE}{participant.pk}/").status_code == 200


# Consent ---------------------------------------------------------------------------------------


def test_channel_consent_revocation_takes_effect_at_once(admin_a_client, agency_a):
    participant = make_participant(agency_a)
    admin_a_client.post(f"{BASE}{participant.pk}/consents/", {"sms": "on", "email": "on"})
    with agency_scope(agency_a):
        assert ChannelConsent.objects.get(participant=participant, channel="sms").is_granted
    admin_a_client.post(f"{BASE}{participant.pk}/consents/", {"email": "on"})
    with agency_scope(agency_a):
        sms = ChannelConsent.objects.get(participant=participant, channel="sms")
        assert not sms.is_granted and sms.revoked_at is not None
        assert ChannelConsent.objects.get(participant=participant, channel="email").is_granted


def test_disclosure_consent_has_the_part_2_elements(admin_a_client, agency_a):
    participant = make_participant(agency_a)
    missing = admin_a_client.post(
        f"{BASE}{participant.pk}/consents/disclosures/new/", {"recipient": "Court"}
    )
    assert missing.status_code == 400
    assert {"information", "purpose", "signed_on", "signed_by", "expires_on"} <= set(
        missing.context["form"].errors
    )
    ok = admin_a_client.post(
        f"{BASE}{participant.pk}/consents/disclosures/new/",
        {
            "disclosing_party": "Agency A",
            "recipient": "County court",
            "information": "Attendance",
            "purpose": "Reporting",
            "expires_on": "2027-06-01",
            "signed_by": "Dee",
            "signed_on": "2026-11-01",
        },
    )
    assert ok.status_code == 302


def test_expired_and_revoked_disclosures_are_shown_as_such(admin_a_client, agency_a):
    participant = make_participant(agency_a)
    expired = make_disclosure_consent(
        participant, expires_on=agency_a.today() - timedelta(days=1), recipient="Old employer"
    )
    active = make_disclosure_consent(participant, expires_on=agency_a.today() + timedelta(days=30))
    admin_a_client.post(f"{BASE}{participant.pk}/consents/disclosures/{active.pk}/revoke/")
    with agency_scope(agency_a):
        assert {c.pk: c.status for c in DisclosureConsent.objects.all()} == {
            expired.pk: "expired",
            active.pk: "revoked",
        }
    page = admin_a_client.get(f"{BASE}{participant.pk}/consents/")
    assert "Expired" in page.text and "Revoked" in page.text


# Boundaries --------------------------------------------------------------------------------------

TEMPLATE = {
    "staff_contact_hours": "Weekdays 9-5",
    "response_time": "One working day",
    "peer_support_covers": "Support",
    "peer_support_does_not_cover": "Therapy",
    "confidentiality_limits": "Risk of harm",
}


def test_publishing_boundaries_makes_numbered_versions(admin_a_client, agency_a):
    admin_a_client.post("/a/agency-a/boundaries/", TEMPLATE)
    admin_a_client.post("/a/agency-a/boundaries/", {**TEMPLATE, "response_time": "Two days"})
    with agency_scope(agency_a):
        assert list(BoundaryTemplate.objects.values_list("version", "response_time")) == [
            (2, "Two days"),
            (1, "One working day"),
        ]


def test_personal_terms_reset_the_acknowledgement(admin_a_client, agency_a):
    from participants import services

    admin_a_client.post("/a/agency-a/boundaries/", TEMPLATE)
    participant = make_participant(agency_a)
    with agency_scope(agency_a):
        template = BoundaryTemplate.objects.get()
        services.boundary_acknowledge(participant=participant, template=template)
    admin_a_client.post(
        f"{BASE}{participant.pk}/boundaries/", {"personal_terms": "Texts only after 6pm"}
    )
    page = admin_a_client.get(f"{BASE}{participant.pk}/")
    assert "Version 1 not yet acknowledged" in page.text


def test_a_duplicate_record_number_is_a_field_error_not_a_crash(admin_a_client, agency_a):
    make_participant(agency_a, external_id="R-7")
    response = admin_a_client.post(BASE + "new/", new_participant_form(external_id="R-7"))
    assert response.status_code == 400
    assert "already has this record number" in response.context["form"].errors["external_id"][0]


def test_a_double_submit_stores_one_participant(admin_a_client, agency_a):
    form = new_participant_form(submission="a1b2c3")
    first = admin_a_client.post(BASE + "new/", form)
    second = admin_a_client.post(BASE + "new/", form)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]  # to the participant made the first time
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1


def test_a_corrected_resubmit_with_the_same_id_is_stored(admin_a_client, agency_a):
    bad = admin_a_client.post(BASE + "new/", new_participant_form(phone="12", submission="x9"))
    assert bad.status_code == 400 and 'name="submission" value="x9"' in bad.text
    good = admin_a_client.post(BASE + "new/", new_participant_form(submission="x9"))
    assert good.status_code == 302
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1


def test_logging_the_same_contact_twice_stores_it_once(peer_a_client, agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    form = {"occurred_at": "2026-11-20T15:30", "kind": "call", "note": "", "submission": "c1"}
    peer_a_client.post(f"{BASE}{participant.pk}/contacts/new/", form)
    peer_a_client.post(f"{BASE}{participant.pk}/contacts/new/", form)
    with agency_scope(agency_a):
        assert Contact.objects.count() == 1
