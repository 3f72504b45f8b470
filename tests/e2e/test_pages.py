"""Pages anyone can reach without signing in: accessible, styled, and usable on a phone."""

import pytest

from tests.e2e.conftest import assert_no_axe_violations, assert_no_sideways_scrolling, screenshot

# live_server answers from another thread, so the data must be committed: transactional tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_page_is_accessible_and_styled(page):
    response = page.goto("/accounts/login/")
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    # The stylesheet loaded (the live server serves static files): the header has its colour.
    header = page.locator(".site-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(29, 92, 99)"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to Rapport"
    assert_no_axe_violations(page)
    screenshot(page, "login")


def test_keyboard_users_can_skip_to_the_content(page):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown on screen when focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_login_page_on_a_phone(phone_page):
    phone_page.goto("/accounts/login/")
    assert_no_sideways_scrolling(phone_page)
    assert_no_axe_violations(phone_page)
    screenshot(phone_page, "login-phone")


def test_unknown_page_answers_a_friendly_404(page):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "We couldn't find that page"
    assert_no_axe_violations(page)
