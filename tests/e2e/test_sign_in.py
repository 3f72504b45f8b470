"""Signing in with a password and an authenticator code."""

import pytest

from tests.e2e.conftest import assert_no_axe_violations, screenshot, totp_code
from tests.factories import TEST_PASSWORD, TOTP_SECRET

# live_server answers from another thread, so the data must be committed: transactional tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_with_an_authenticator_code(page, agency_a, admin_a):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(admin_a.user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert_no_axe_violations(page)
    screenshot(page, "two-factor")
    page.locator("input[name=code]").fill("000000" if totp_code(TOTP_SECRET) != "000000" else "1")
    page.locator("main button[type=submit]", has_text="Sign In").click()
    assert page.url.endswith("/accounts/2fa/authenticate/")  # a wrong code keeps you here
    assert_no_axe_violations(page)  # with the error shown

    page.locator("input[name=code]").fill(totp_code(TOTP_SECRET))
    page.locator("main button[type=submit]", has_text="Sign In").click()
    # Home sends a member of one agency straight to it.
    page.wait_for_url(f"**/a/{agency_a.slug}/")
    assert page.get_by_role("link", name="Staff", exact=True).is_visible()
    assert_no_axe_violations(page)
