"""An agency admin invites staff in the browser; the invited people join from the emailed link.
An invited admin is sent to two-factor enrolment before reaching any agency page."""

import re

import pytest
from allauth.mfa.models import Authenticator

from agencies.models import Membership, Role, User
from agencies.tenancy import agency_scope
from tests.e2e.conftest import (
    PHONE,
    assert_no_axe_violations,
    assert_no_sideways_scrolling,
    link_path,
    screenshot,
    sign_in,
    totp_code,
)
from tests.factories import TEST_PASSWORD, TOTP_SECRET, make_invitation

# live_server answers from another thread, so the data must be committed: transactional tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def invite_in_browser(page, agency, outbox, email: str, role_label: str) -> str:
    """On the staff page, send an invitation; return the path of the link in the email."""
    page.goto(f"/a/{agency.slug}/staff/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role").select_option(label=role_label)
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(f"**/a/{agency.slug}/staff/invite/")
    assert page.get_by_role("heading", level=1).inner_text() == "Invitation sent"
    assert_no_axe_violations(page)
    [message] = [m for m in outbox if m.to == [email]]
    path = link_path(message.body)
    # The page offers the same link for copying.
    assert page.get_by_label("Invitation link").input_value().endswith(path)
    return path


def accept_in_browser(page, path: str, *, first: str, last: str) -> None:
    page.goto(path)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Join ")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label(re.compile(r"^Password:?$")).fill(TEST_PASSWORD)
    page.get_by_label("Password again").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accept and join").click()


def test_admin_invites_a_peer_who_joins_from_the_email(new_page, agency_a, admin_a, mailoutbox):
    admin = new_page()
    sign_in(admin, admin_a.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)
    path = invite_in_browser(admin, agency_a, mailoutbox, "new.peer@example.org", "Peer specialist")

    invitee = new_page()  # a fresh context: nobody signed in
    invitee.goto(path)
    assert_no_axe_violations(invitee)
    screenshot(invitee, "invitation-accept")
    accept_in_browser(invitee, path, first="Noor", last="Haddad")

    invitee.wait_for_url(f"**/a/{agency_a.slug}/")
    assert invitee.get_by_role("status").inner_text() == "Welcome to Agency A."
    assert invitee.get_by_role("heading", level=1).inner_text() == "Welcome, Noor"
    assert_no_axe_violations(invitee)
    user = User.objects.get(email="new.peer@example.org")
    with agency_scope(agency_a):
        assert Membership.objects.get(user=user).role == Role.PEER


def test_invited_admin_enrols_two_factor_then_reaches_the_staff_page(
    new_page, agency_a, admin_a, mailoutbox
):
    admin = new_page()
    sign_in(admin, admin_a.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)
    path = invite_in_browser(admin, agency_a, mailoutbox, "new.admin@example.org", "Agency admin")

    invitee = new_page()
    accept_in_browser(invitee, path, first="Maya", last="Okafor")

    # An admin without two-factor is sent to enrolment instead of the agency home.
    invitee.wait_for_load_state()
    if "/accounts/reauthenticate/" in invitee.url:
        # allauth asks for the password again before adding two-factor, because accepting the
        # invitation signs in through django.contrib.auth.login, which records no allauth
        # authentication in the session. Recording one there would skip this step.
        assert_no_axe_violations(invitee)
        invitee.get_by_label(re.compile(r"^Password:?$")).fill(TEST_PASSWORD)
        invitee.get_by_role("button", name="Confirm").click()
    invitee.wait_for_url("**/accounts/2fa/totp/activate/")
    assert_no_axe_violations(invitee)
    secret = invitee.get_by_label("Authenticator secret").input_value()
    assert len(secret) >= 16
    invitee.locator("input[name=code]").fill(totp_code(secret))
    invitee.get_by_role("button", name="Activate").click()
    invitee.wait_for_url(lambda url: "/totp/activate/" not in url)
    user = User.objects.get(email="new.admin@example.org")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    invitee.goto(f"/a/{agency_a.slug}/")
    assert invitee.get_by_role("heading", level=1).inner_text() == "Welcome, Maya"
    assert_no_axe_violations(invitee)
    screenshot(invitee, "agency-home")

    invitee.get_by_role("link", name="Staff", exact=True).click()
    invitee.wait_for_url(f"**/a/{agency_a.slug}/staff/")
    staff = invitee.get_by_role("table", name="Staff of this agency")
    assert staff.get_by_role("row", name="Maya Okafor").count() == 1
    assert_no_axe_violations(invitee)
    screenshot(invitee, "staff")

    invitee.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(invitee)
    assert_no_axe_violations(invitee)
    screenshot(invitee, "staff-phone")


def test_invitation_can_be_accepted_without_javascript(new_page, agency_a):
    _invitation, raw = make_invitation(agency_a, email="no.js@example.org", role=Role.SUPERVISOR)
    page = new_page(java_script_enabled=False)
    accept_in_browser(page, f"/invitations/{raw}/", first="Sam", last="Lee")
    page.wait_for_url(f"**/a/{agency_a.slug}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Sam"
    with agency_scope(agency_a):
        membership = Membership.objects.get(user__email="no.js@example.org")
    assert membership.role == Role.SUPERVISOR
