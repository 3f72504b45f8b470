"""Signing in: email + password, TOTP for those who enrolled, admins must enrol, idle logoff."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from tests.factories import (
    TEST_PASSWORD,
    api_client,
    make_api_key,
    make_member,
    make_user,
    totp_code_now,
)

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_start_page_sends_a_one_agency_member_to_their_agency(peer_a):
    browser = Client()
    assert sign_in(browser, peer_a.user.email).status_code == 302
    response = browser.get("/")
    assert response.status_code == 302 and response["Location"] == "/a/agency-a/"


def test_wrong_password_is_refused_with_a_message(peer_a):
    response = sign_in(Client(), peer_a.user.email, "wrong-password")
    assert response.status_code == 200
    assert "not correct" in response.text


def test_sign_up_is_closed(db):
    response = Client().get("/accounts/signup/")
    assert "Sign Up Closed" in response.text or response.status_code in (403, 404)
    assert "sign up</a>" not in Client().get("/accounts/login/").text


def test_enrolled_user_needs_the_totp_code(admin_a):
    browser = Client()
    response = sign_in(browser, admin_a.user.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert browser.get("/a/agency-a/").status_code == 302  # not in yet

    wrong = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.text
    right = browser.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})
    assert right.status_code == 302
    assert browser.get("/a/agency-a/").status_code == 200


def test_agency_admin_without_two_factor_must_enrol_first(agency_a):
    admin = make_member(agency_a, Role.ADMIN, user=make_user(mfa=False))
    browser = Client()
    sign_in(browser, admin.user.email)
    response = browser.get("/a/agency-a/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_session_ends_after_fifteen_idle_minutes(peer_a):
    browser = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(browser, peer_a.user.email)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert browser.get("/a/agency-a/").status_code == 200  # activity moves the deadline
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert browser.get("/a/agency-a/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        response = browser.get("/a/agency-a/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_never_outlives_fifteen_minutes_after_the_last_request(peer_a):
    """Activity pushes the deadline forward at most once a minute: a request 30 s after
    signing in does not, so the session ends 15 minutes after the sign-in, before 15 minutes
    after that request."""
    browser = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(browser, peer_a.user.email)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert browser.get("/a/agency-a/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert browser.get("/a/agency-a/").status_code == 302


def test_the_sessions_page_shows_activity_to_the_minute(peer_a):
    browser = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(browser, peer_a.user.email)
    later = start + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        browser.get("/a/agency-a/")
    with time_machine.travel(later + timedelta(seconds=20), tick=False):
        browser.get("/a/agency-a/")
    (session,) = UserSession.objects.filter(user=peer_a.user)
    assert session.last_seen_at == later


def test_sign_out_ends_the_session(peer_a):
    browser = Client()
    sign_in(browser, peer_a.user.email)
    browser.post("/accounts/logout/")
    assert browser.get("/a/agency-a/").status_code == 302


def test_failed_sign_ins_are_rate_limited(peer_a):
    browser = Client()
    statuses = [
        sign_in(browser, peer_a.user.email, "wrong-password").status_code for _ in range(12)
    ]
    final = sign_in(browser, peer_a.user.email, "wrong-password")
    assert "Too many failed login attempts" in final.text or 429 in statuses + [final.status_code]


def test_a_password_reset_while_the_mail_server_is_down_is_not_an_error_page(
    peer_a, settings, caplog
):
    # A real SMTP connection to a port where nothing listens: refused at once.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    response = Client().post("/accounts/password/reset/", {"email": peer_a.user.email})
    assert response.status_code == 302  # on to "check your email", as for any address
    assert "not sent (ConnectionRefusedError)" in caplog.text
    assert peer_a.user.email not in caplog.text


def test_an_api_call_with_a_key_starts_no_session(agency_a):
    _key, raw = make_api_key(agency_a)
    response = api_client(raw).get("/api/v1/participants/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not UserSession.objects.exists()
