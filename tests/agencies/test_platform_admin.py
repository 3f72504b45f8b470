"""Django admin is for platform admins (superusers with two-factor) only."""

import pytest
from django.test import Client

from agencies.models import User
from agencies.tenancy import agency_scope, scopes_disabled
from tests.conftest import client_for
from tests.factories import TOTP_SECRET, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(db):
    from allauth.mfa.totp.internal.auth import TOTP

    user = User.objects.create_superuser(email="root@example.org", password="x-long-password-1")
    TOTP.activate(user, TOTP_SECRET)
    return user


def test_anonymous_is_sent_to_the_allauth_sign_in(db):
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "Sign in to Rapport" in response.text


def test_agency_admin_is_not_a_platform_admin(admin_a_client):
    assert admin_a_client.get("/admin/", follow=True).status_code == 403


def test_superuser_without_two_factor_is_kept_out(db):
    user = User.objects.create_superuser(email="root2@example.org", password="x-long-password-1")
    response = client_for(user).get("/admin/agencies/membership/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_platform_admin_sees_staff_of_every_agency(platform_admin, agency_a, agency_b):
    mine = make_member(agency_a)
    make_member(agency_b)
    page = client_for(platform_admin).get("/admin/agencies/membership/")
    assert page.status_code == 200
    assert "Agency A" in page.text and "Agency B" in page.text
    assert (
        client_for(platform_admin).get(f"/admin/agencies/membership/{mine.pk}/change/").status_code
        == 200
    )


def test_audit_events_are_read_only_in_admin(platform_admin, admin_a_client, agency_a, peer_a):
    from agencies.models import AuditEvent

    admin_a_client.post(f"/a/agency-a/staff/{peer_a.pk}/", {"role": "supervisor"})
    with scopes_disabled():
        event = AuditEvent.objects.get()
    browser = client_for(platform_admin)
    assert browser.get("/admin/agencies/auditevent/").status_code == 200
    detail = browser.get(f"/admin/agencies/auditevent/{event.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.text
    assert (
        browser.post(f"/admin/agencies/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    with scopes_disabled():
        assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_new_agency_gets_the_default_check_in(platform_admin):
    from agencies.models import Agency
    from agencies.tenancy import agency_scope
    from alliance.checkins.models import Instrument

    response = client_for(platform_admin).post(
        "/admin/agencies/agency/add/",
        {
            "name": "New Dawn",
            "slug": "new-dawn",
            "time_zone": "America/Chicago",
            "default_language": "en",
            "is_active": "on",
            "invitation_expiry_days": 7,
            "checkin_link_expiry_days": 4,
            "portal_link_expiry_days": 30,
            "alert_total_below_percent": 60,
            "alert_drop_percent": 10,
            "alert_item_at_or_below": 2,
            "alert_missed_in_a_row": 2,
            "commitment_first_reminder_hours": 24,
            "commitment_second_reminder_hours": 1,
            "commitment_grace_minutes": 60,
        },
    )
    assert response.status_code == 302, (
        response.context["adminform"].errors if response.context else ""
    )
    agency = Agency.objects.get(slug="new-dawn")
    with agency_scope(agency):
        instrument = Instrument.objects.get()
        assert instrument.is_default and instrument.items.count() == 10


def test_every_model_in_django_admin_has_a_readable_name():
    """A platform admin reads rows by their names, never "InstrumentItem object (22)": every
    model shown in admin, inlines included, defines __str__."""
    from django.db import models

    from agencies.admin import platform_admin

    shown = set()
    for model, model_admin in platform_admin._registry.items():
        shown.add(model)
        shown.update(inline.model for inline in model_admin.inlines)
    assert len(shown) >= 6  # the walk found the registry
    unnamed = sorted(m._meta.label for m in shown if m.__str__ is models.Model.__str__)
    assert unnamed == []


def test_an_instrument_item_reads_as_its_position_practice_and_words(agency_a):
    from agencies.tenancy import agency_scope
    from alliance.checkins.services import instrument_default

    with agency_scope(agency_a):
        item = instrument_default().items.exclude(practice="").first()
        assert str(item).startswith(f"{item.position}. {item.get_practice_display()}: ")
        assert "object (" not in str(item)


def test_an_agencys_sms_token_is_written_never_shown_back(platform_admin, agency_a):
    from alliance.messaging.models import SmsSender
    from alliance.messaging.sms import sms_sender_config

    browser = client_for(platform_admin)
    fields = {
        "agency": agency_a.pk,
        "provider": "twilio",
        "from_number": "+15005550006",
        "messaging_service_sid": "",
        "account_sid": "ACagency",
        "auth_token": "agency-secret-token",
        "help_text": "",
    }
    assert browser.post("/admin/messaging/smssender/add/", fields).status_code == 302
    with scopes_disabled():
        sender = SmsSender.objects.get(agency=agency_a)
    page = browser.get(f"/admin/messaging/smssender/{sender.pk}/change/").text
    assert "agency-secret-token" not in page and "agency-secret-token" not in repr(sender)
    # A blank token keeps the stored one.
    browser.post(f"/admin/messaging/smssender/{sender.pk}/change/", {**fields, "auth_token": ""})
    with agency_scope(agency_a):
        config = sms_sender_config(agency_a.pk)
    assert config.auth_token == "agency-secret-token" and "agency-secret" not in repr(config)
    assert config.account_sid == "ACagency" and config.from_number == "+15005550006"
