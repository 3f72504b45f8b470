"""Person-first language hints appear while a note is written (htmx), under the CSP."""

import pytest

from tests.e2e.conftest import assert_no_axe_violations, sign_in
from tests.factories import TEST_PASSWORD, make_participant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_hints_appear_as_the_note_is_written_and_never_block_saving(page, agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a, preferred_name="Dee")
    sign_in(page, peer_a.user.email, TEST_PASSWORD)
    page.goto(f"/a/{agency_a.slug}/participants/{participant.pk}/contacts/new/")
    hints = page.locator("#language-hints")
    assert hints.inner_text().strip() == ""

    page.get_by_label("Note").fill('Dee has stayed clean for a month. She said "I was an addict".')
    hints.get_by_text("abstinent, not actively using, in recovery").wait_for()
    assert "addict" not in hints.inner_text().split("→")[0]  # her own words, quoted, are left alone
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url(f"**/participants/{participant.pk}/")
    assert page.get_by_text("stayed clean for a month").is_visible()
