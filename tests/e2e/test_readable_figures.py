"""Issue 14, points 4-6 in a real browser: consistency figures that add up to 100%, one date
style, a curated time-zone picker, a trend chart that spans the page with labelled small
charts and a table that scrolls in its own box, and an audit trail and notifications that
read as sentences with links."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from agencies.models import Role
from agencies.tenancy import agency_scope
from alliance.commitments import services as commitments
from alliance.messaging.models import Delivery, DeliveryKind
from alliance.messaging.services import deliver
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    assert_no_sideways_scrolling,
    screenshot,
    sign_in,
)
from tests.factories import (
    TEST_PASSWORD,
    TOTP_SECRET,
    make_checkin_response,
    make_commitment,
    make_member,
    make_participant,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATE_STYLE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M"
)


@pytest.fixture
def peer(agency_a):
    user = make_user("jordan.lee@example.org", first_name="Jordan", last_name="Lee")
    return make_member(agency_a, Role.PEER, user=user)


@pytest.fixture
def supervisor(agency_a):
    user = make_user("ana.ruiz@example.org", first_name="Ana", last_name="Ruiz")
    return make_member(agency_a, Role.SUPERVISOR, user=user)


@pytest.fixture
def admin(agency_a):
    user = make_user("sam.okafor@example.org", mfa=True, first_name="Sam", last_name="Okafor")
    return make_member(agency_a, Role.ADMIN, user=user)


@pytest.fixture
def marcus(agency_a, peer):
    return make_participant(agency_a, peer=peer, preferred_name="Marcus")


def close_commitments_in_four_ways(agency, peer, participant) -> None:
    """Kept on time, renegotiated then kept, missed: one each; kept late: none; that is
    thirds, which read 34/33/33, not 33/33/33."""
    on_time, moved, missed, late = (
        make_commitment(participant, staff=peer, hours_ahead=5, what=what)
        for what in ("Call on Monday", "Bring the housing form", "Visit on Friday", "Text back")
    )
    with agency_scope(agency):
        commitments.commitment_renegotiate(
            commitment=moved,
            new_due_at=moved.due_at + timedelta(hours=2),
            reason="Marcus asked for the afternoon",
            asked_by="participant",
            by=peer.user,
        )
        for commitment in (on_time, moved):
            commitments.commitment_close(commitment=commitment, outcome="kept", by=peer.user)
        commitments.commitment_close(commitment=missed, outcome="missed", by=peer.user)
    with time_machine.travel(timezone.now() + timedelta(hours=9), tick=False):
        with agency_scope(agency):
            commitments.commitment_close(commitment=late, outcome="kept", by=peer.user)


def test_consistency_adds_up_to_100_and_dates_read_in_one_style(
    new_page, agency_a, peer, supervisor, marcus
):
    close_commitments_in_four_ways(agency_a, peer, marcus)
    make_commitment(marcus, staff=peer, hours_ahead=30, what="Call about the job fair")
    page = new_page()
    sign_in(page, peer.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/commitments/")
    figures = page.locator("section.figures")
    text = figures.inner_text()
    assert "Of 4 commitments closed:" in text
    shares = [int(share) for share in re.findall(r"(\d+)%", text)]
    assert shares == [25, 25, 25, 25] and sum(shares) == 100
    for label in ("Kept on time", "Kept late", "Renegotiated, then kept", "Missed"):
        assert label in text
    assert DATE_STYLE.search(page.locator("main").inner_text())
    assert_no_axe_violations(page)
    screenshot(page, "commitments", full_page=True)

    # The supervisor's home: the agency's figures per peer, four columns that add up.
    boss = new_page()
    sign_in(boss, supervisor.user.email, TEST_PASSWORD)
    boss.goto(f"/a/{agency_a.slug}/")
    row = boss.get_by_role("row", name=re.compile("Jordan Lee"))
    cells = [int(c) for c in re.findall(r"(\d+)%", row.inner_text())]
    assert sum(cells) == 100 and len(cells) == 4
    assert boss.get_by_role("heading", name=re.compile("^Consistency across")).count() == 1
    assert_no_axe_violations(boss)

    # In Spanish, the one Spanish style: "mar 1 dic 2026, 14:02".
    page.context.set_extra_http_headers({"Accept-Language": "es"})
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/commitments/")
    main = page.locator("main").inner_text()
    assert re.search(r"\b(lun|mar|mié|jue|vie|sáb|dom) \d{1,2} [a-z]{3} \d{4}, \d{2}:\d{2}\b", main)
    assert not DATE_STYLE.search(main) and "Cumplidos con retraso" in main
    assert_no_axe_violations(page)


def test_the_time_zone_picker_is_curated_and_readable(new_page, agency_a, admin):
    page = new_page()
    sign_in(page, admin.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"/a/{agency_a.slug}/settings/")
    picker = page.get_by_label("Time zone")
    options = picker.locator("option").all_inner_texts()
    assert "Eastern Time (New York)" in options and len(options) < 60
    assert not {"Factory", "localtime"} & set(options)
    groups = picker.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups[0] == "United States and Canada"
    picker.select_option("America/Chicago")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    agency_a.refresh_from_db()
    assert agency_a.time_zone == "America/Chicago"
    assert_no_axe_violations(page)


def test_the_trend_spans_the_page_and_small_charts_share_a_labelled_scale(
    new_page, agency_a, peer, marcus
):
    for days_ago, value in [(70, 3), (56, 4), (42, 2), (28, 5), (14, 4), (3, 3), (1, 1)]:
        make_checkin_response(marcus, scale_value=value, days_ago=days_ago)
    make_checkin_response(marcus, days_ago=0.5, channel="paper")
    page = new_page()
    sign_in(page, peer.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/checkins/")
    main_width = page.locator("main").evaluate("el => el.clientWidth")
    chart = page.locator(".chart-wide svg")
    box = chart.bounding_box()
    assert box and box["width"] >= main_width * 0.9  # the page's width, not 640 px
    small = page.locator(".chart-multiples svg")
    assert small.count() == 9
    for index in range(small.count()):
        labels = small.nth(index).locator(".chart-label text").all_text_contents()
        assert labels[:3] == ["0%", "50%", "100%"], labels
    assert "same scale, 0% to 100%" in page.locator("main").inner_text()
    assert "Paper Paper" not in page.locator("main").inner_text()
    summary = page.locator(".chart-summary").inner_text()
    assert summary.startswith("8 check-ins from ")
    assert_no_axe_violations(page)
    screenshot(page, "checkin-trend", full_page=True)

    page.set_viewport_size(PHONE)
    assert page.locator(".chart-narrow svg").is_visible()
    assert not page.locator(".chart-wide svg").is_visible()
    assert_no_sideways_scrolling(page)
    table_box = page.get_by_role("region", name=re.compile("Check-ins of Marcus"))
    assert table_box.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls, in its box
    table_box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.table-scroll[aria-labelledby=responses-caption]')"
        ".scrollLeft > 0"
    )
    assert_no_axe_violations(page)
    page.set_viewport_size(DESKTOP)


def test_a_long_history_pages_its_table_and_keeps_every_point_in_the_chart(
    new_page, agency_a, peer, marcus
):
    for n in range(23):
        make_checkin_response(marcus, scale_value=1 + n % 5, days_ago=200 - 7 * n)
    page = new_page()
    sign_in(page, peer.user.email, TEST_PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/checkins/")
    assert page.locator(".chart-summary").inner_text().startswith("23 check-ins from ")
    assert page.locator(".chart-narrow svg circle").count() == 23
    table = page.get_by_role("region", name=re.compile("Check-ins of Marcus"))
    assert table.locator("tbody tr").count() == 20
    assert "1 to 20 of 23" in page.locator("#responses-caption").inner_text()
    assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    pages = page.get_by_role("navigation", name="Pages of check-ins")
    pages.get_by_role("link", name="Older check-ins").click()
    page.wait_for_url("**?page=2*")
    assert table.locator("tbody tr").count() == 3
    assert "21 to 23 of 23" in page.locator("#responses-caption").inner_text()
    assert pages.get_by_role("link", name="Newer check-ins").is_visible()
    assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    page.set_viewport_size(DESKTOP)


def test_notifications_and_the_audit_trail_read_as_linked_sentences(
    new_page, agency_a, peer, supervisor, admin, marcus
):
    commitment = make_commitment(marcus, staff=peer, hours_ahead=1, what="Call about the lease")
    # The sweep finds it missed and tells the supervisors; the notice is sent as it would be.
    commitments.commitments_mark_overdue_missed(now=commitment.due_at + timedelta(hours=2))
    with agency_scope(agency_a):
        notice = Delivery.objects.get(
            kind=DeliveryKind.COMMITMENT_MISSED, channel="in_app", membership=supervisor
        )
        Delivery.objects.filter(pk=notice.pk).update(status="queued")
        assert deliver(notice.pk) == "sent"

    page = new_page()
    sign_in(page, supervisor.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/notifications/")
    item = page.locator("ul.notifications li").first
    words = item.inner_text()
    assert "Jordan Lee missed a commitment to Marcus: “Call about the lease”." in words
    assert "http" not in words and DATE_STYLE.search(words)
    link = item.get_by_role("link")
    assert link.get_attribute("href") == (
        f"/a/{agency_a.slug}/participants/{marcus.pk}/commitments/"
    )
    assert_no_axe_violations(page)
    screenshot(page, "notifications")
    link.click()
    page.wait_for_url(f"**/participants/{marcus.pk}/commitments/")
    page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/goals/")

    admin_page = new_page()
    sign_in(admin_page, admin.user.email, TEST_PASSWORD, totp_secret=TOTP_SECRET)
    admin_page.goto(f"/a/{agency_a.slug}/participants/{marcus.pk}/audit/")
    trail = admin_page.locator("ul.trail")
    text = trail.inner_text()
    assert "Ana Ruiz viewed Marcus's goals." in text
    assert "Ana Ruiz viewed the commitments made with Marcus." in text
    assert "participant.viewed" not in text and DATE_STYLE.search(text)
    goals = trail.get_by_role("link", name="Marcus's goals").first
    assert goals.get_attribute("href") == f"/a/{agency_a.slug}/participants/{marcus.pk}/goals/"
    assert_no_axe_violations(admin_page)
    screenshot(admin_page, "audit-trail")
    admin_page.set_viewport_size(PHONE)
    assert_no_sideways_scrolling(admin_page)
    goals.click()
    admin_page.wait_for_url(f"**/participants/{marcus.pk}/goals/")
    actions = admin_page.locator("ul.actions")
    assert actions.evaluate("el => getComputedStyle(el).listStyleType") == "none"
    assert_no_axe_violations(admin_page)
