"""Bad addresses and wrong roles get friendly pages in the site's layout, never a 500."""

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/a/no-such-agency/",
        "/a/agency-a/staff/not-a-number/",
        "/a/agency-a/staff/99999999999999999999999/",
        "/a/agency-a/staff/9223372036854775808/deactivate/",
        "/a/agency-a/staff/-1/",
        "/a/agency-a/nothing-here/",
        "/a/%00/",
    ],
)
def test_malformed_addresses_answer_404_in_the_layout(admin_a_client, path):
    response = admin_a_client.get(path)
    assert response.status_code == 404
    assert "We couldn't find that page" in response.text and 'class="site-header"' in response.text


@pytest.mark.parametrize("token", ["%00%ff", "x" * 300, "a/b"])
def test_malformed_invitation_links_get_the_friendly_page(db, token):
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code == 404 and 'class="site-header"' in response.text


def test_an_inactive_agency_is_not_found_even_by_its_members(admin_a_client, agency_a):
    agency_a.is_active = False
    agency_a.save()
    assert admin_a_client.get("/a/agency-a/").status_code == 404


def test_wrong_role_gets_403_in_the_layout(peer_a):
    response = client_for(peer_a.user).get("/a/agency-a/settings/")
    assert response.status_code == 403 and 'class="site-header"' in response.text


def test_pages_carry_a_strict_content_security_policy(admin_a_client):
    response = admin_a_client.get("/a/agency-a/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Request-ID"]


def test_link_tokens_never_reach_the_logs(db, caplog):
    import logging

    from config.log_filters import RedactLinkTokens

    token = "N8liwHEPToGcFtuet2vGDGuYfd9VHrmbg4FEoskJh1w"
    Client().get(f"/c/{token}/")
    Client().get(f"/invitations/{token}/")
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Gone: %s", (f"/c/{token}/",), None
    )
    RedactLinkTokens().filter(record)
    assert record.getMessage() == "Gone: /c/[token]/"
    handler_filters = logging.getLogger().handlers[0].filters
    assert any(isinstance(f, RedactLinkTokens) for f in handler_filters)


def test_the_liveness_probe_answers_ok_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
    assert client.post("/healthz").status_code == 405
