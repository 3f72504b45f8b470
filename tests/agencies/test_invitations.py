"""Staff join by invitation: the link is shown or mailed once, works once, and fails clearly."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from agencies.models import Invitation, Membership, Role, User
from agencies.tenancy import agency_scope
from agencies.tokens import token_hash
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, make_invitation, make_member

pytestmark = pytest.mark.django_db(transaction=False)


def new_account(password=TEST_PASSWORD, **overrides):
    return {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "password1": password,
        "password2": password,
        **overrides,
    }


def invite(client, agency, email="new.peer@example.org", role=Role.PEER):
    return client.post(f"/a/{agency.slug}/staff/invite/", {"email": email, "role": role})


def test_admin_invites_by_email_and_only_the_hash_is_kept(
    admin_a_client, agency_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(admin_a_client, agency_a, email="New.Peer@Example.org")
    assert response.status_code == 200
    link = response.context["link"]
    raw_token = link.rstrip("/").rsplit("/", 1)[1]

    [message] = mail.outbox
    assert message.to == ["new.peer@example.org"]
    assert link in message.body
    assert "Agency A" not in message.subject  # discreet subject
    with agency_scope(agency_a):
        invitation = Invitation.objects.get()
    assert invitation.token_hash == token_hash(raw_token)
    assert raw_token not in invitation.token_hash


@pytest.mark.django_db(transaction=True)  # as in production: no transaction around the view
def test_when_the_mail_server_is_down_the_admin_is_told_and_given_the_link(
    admin_a_client, agency_a, settings, caplog
):
    # A real SMTP connection to a port where nothing listens: refused at once.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    response = invite(admin_a_client, agency_a, email="new.peer@example.org")
    assert response.status_code == 200
    assert "could not be emailed just now" in response.text
    assert response.context["link"] in response.text
    with agency_scope(agency_a):
        invitation = Invitation.objects.get()  # the invitation stands; its link works once
    assert invitation.accepted_at is None and invitation.revoked_at is None
    assert "new.peer@example.org" not in caplog.text


def test_inviting_an_address_twice_is_refused_with_a_field_error(admin_a_client, agency_a):
    invite(admin_a_client, agency_a)
    again = invite(admin_a_client, agency_a)
    assert again.status_code == 400
    assert "already has an open invitation" in again.context["form"].errors["email"][0]
    with agency_scope(agency_a):
        assert Invitation.objects.count() == 1


def test_invitation_form_shows_field_errors(admin_a_client, agency_a):
    response = invite(admin_a_client, agency_a, email="not-an-email", role="overlord")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "role"}


def test_peer_cannot_invite(peer_a_client, agency_a):
    assert invite(peer_a_client, agency_a).status_code == 403


def test_new_person_accepts_and_lands_in_the_agency(agency_a):
    invitation, raw = make_invitation(agency_a, email="ana@example.org", role=Role.SUPERVISOR)
    browser = Client()
    page = browser.get(f"/invitations/{raw}/")
    assert page.status_code == 200 and "Join Agency A" in page.text

    response = browser.post(f"/invitations/{raw}/", new_account())
    assert response.status_code == 302 and response["Location"] == "/a/agency-a/"
    user = User.objects.get(email="ana@example.org")
    with agency_scope(agency_a):
        assert Membership.objects.get(user=user).role == Role.SUPERVISOR
    assert browser.get("/a/agency-a/").status_code == 200  # signed in


def test_opening_the_link_does_not_spend_it(agency_a):
    invitation, raw = make_invitation(agency_a)
    for _ in range(3):
        Client().get(f"/invitations/{raw}/")
    with agency_scope(invitation.agency_id):
        invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_weak_or_mismatched_password_keeps_everything_unsaved(agency_a):
    invitation, raw = make_invitation(agency_a, email="ana@example.org")
    mismatch = Client().post(f"/invitations/{raw}/", new_account(password2="something-else-1"))
    weak = Client().post(f"/invitations/{raw}/", new_account(password="12345", password2="12345"))
    assert mismatch.status_code == weak.status_code == 400
    assert "password2" in mismatch.context["form"].errors
    assert "password1" in weak.context["form"].errors
    assert not User.objects.filter(email="ana@example.org").exists()
    with agency_scope(invitation.agency_id):
        invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_double_submit_accepts_once(agency_a):
    _invitation, raw = make_invitation(agency_a, email="ana@example.org")
    first = Client().post(f"/invitations/{raw}/", new_account())
    second = Client().post(f"/invitations/{raw}/", new_account())
    assert first.status_code == 302
    assert second.status_code == 410 and "already been accepted" in second.text
    assert User.objects.filter(email="ana@example.org").count() == 1


@pytest.mark.parametrize(
    "state, status, words",
    [
        ("expired", 410, "expired"),
        ("revoked", 410, "withdrawn"),
        ("unknown", 404, "don't recognise"),
    ],
)
def test_unusable_invitation_explains_what_to_do(agency_a, state, status, words):
    invitation, raw = make_invitation(
        agency_a, expires_in=timedelta(days=-1) if state == "expired" else timedelta(days=7)
    )
    if state == "revoked":
        with agency_scope(agency_a):
            Invitation.objects.filter(pk=invitation.pk).update(revoked_at=invitation.created_at)
    if state == "unknown":
        raw = raw[::-1]
    response = Client().get(f"/invitations/{raw}/")
    assert response.status_code == status
    assert words in response.text
    assert "<main" in response.text  # the site's layout, not a bare error


def test_existing_staff_member_of_another_agency_joins_and_can_switch(agency_a, agency_b):
    member_b = make_member(agency_b, Role.PEER)
    _invitation, raw = make_invitation(agency_a, email=member_b.user.email)
    browser = client_for(member_b.user)
    assert browser.post(f"/invitations/{raw}/").status_code == 302
    chooser = browser.get("/")
    assert chooser.status_code == 200
    assert [a.slug for a in chooser.context["agencies"]] == ["agency-a", "agency-b"]


def test_existing_account_must_sign_in_first(agency_b, agency_a):
    member_b = make_member(agency_b, Role.PEER)
    _invitation, raw = make_invitation(agency_a, email=member_b.user.email)
    page = Client().get(f"/invitations/{raw}/")
    assert "Sign in, then open this link again" in page.text
    assert Client().post(f"/invitations/{raw}/").status_code == 400
    with agency_scope(agency_a):
        assert not Membership.objects.filter(user=member_b.user).exists()


def test_signed_in_as_someone_else_cannot_accept(agency_a, nobody):
    invitation, raw = make_invitation(agency_a, email="someone.else@example.org")
    response = client_for(nobody).post(f"/invitations/{raw}/")
    assert "different address" in response.text
    with agency_scope(invitation.agency_id):
        invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_admin_revokes_an_open_invitation(admin_a_client, agency_a):
    invitation, raw = make_invitation(agency_a)
    admin_a_client.post(f"/a/agency-a/staff/invitations/{invitation.pk}/revoke/")
    assert Client().get(f"/invitations/{raw}/").status_code == 410
