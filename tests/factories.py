"""Plain builders for test data. Each runs inside the agency's scope, as the app does."""

from datetime import timedelta
from itertools import count

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.utils import timezone

from agencies.models import Agency, Invitation, Membership, Role, User
from agencies.tenancy import agency_scope
from agencies.tokens import token_new

TEST_PASSWORD = "a-long-test-password-1"
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
_serial = count(1)


def make_agency(slug: str | None = None, **fields) -> Agency:
    n = next(_serial)
    slug = slug or f"agency-{n}"
    return Agency.objects.create(slug=slug, name=fields.pop("name", f"Agency {slug}"), **fields)


def make_user(email: str | None = None, *, mfa: bool = False, **fields) -> User:
    email = email or f"person{next(_serial)}@example.org"
    user = User.objects.create_user(
        email=email, password=TEST_PASSWORD, first_name=fields.pop("first_name", "Test"), **fields
    )
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def make_member(
    agency: Agency, role: str = Role.PEER, user: User | None = None, **fields
) -> Membership:
    if user is None:
        user = make_user(mfa=(role == Role.ADMIN))
    with agency_scope(agency):
        return Membership.objects.create(agency=agency, user=user, role=role, **fields)


def make_invitation(
    agency: Agency,
    *,
    email: str | None = None,
    role: str = Role.PEER,
    invited_by: User | None = None,
    expires_in: timedelta = timedelta(days=7),
) -> tuple[Invitation, str]:
    raw, hashed = token_new()
    invited_by = invited_by or make_user()
    with agency_scope(agency):
        invitation = Invitation.objects.create(
            agency=agency,
            email=email or f"invitee{next(_serial)}@example.org",
            role=role,
            token_hash=hashed,
            invited_by=invited_by,
            expires_at=timezone.now() + expires_in,
        )
    return invitation, raw


def make_participant(
    agency: Agency, *, peer: Membership | None = None, language: str = "en", **fields
):
    """A participant with their cultural profile, as participant_create makes them."""
    from participants.models import CulturalProfile, Participant

    n = next(_serial)
    with agency_scope(agency):
        participant = Participant.objects.create(
            agency=agency,
            preferred_name=fields.pop("preferred_name", f"Participant {n}"),
            time_zone=fields.pop("time_zone", agency.time_zone),
            assigned_peer=peer,
            **fields,
        )
        CulturalProfile.objects.create(agency=agency, participant=participant, language=language)
    return participant


def make_disclosure_consent(participant, **fields):
    from participants.models import DisclosureConsent

    with agency_scope(participant.agency_id):
        return DisclosureConsent.objects.create(
            agency_id=participant.agency_id,
            participant=participant,
            disclosing_party=fields.pop("disclosing_party", "The agency"),
            information=fields.pop("information", "Attendance dates"),
            recipient=fields.pop("recipient", "County drug court"),
            purpose=fields.pop("purpose", "Compliance reporting"),
            signed_on=fields.pop("signed_on", timezone.localdate()),
            signed_by=fields.pop("signed_by", "The participant"),
            created_by=fields.pop("created_by", None) or make_user(),
            **fields,
        )


def make_language_term(agency, term=None, alternative="person who uses drugs"):
    from participants.models import LanguageTerm

    term = term or f"junkie{next(_serial)}"
    with agency_scope(agency):
        return LanguageTerm.objects.create(agency=agency, term=term, alternative=alternative)


def totp_code_now() -> str:
    """The code an authenticator app would show for TOTP_SECRET right now."""
    import time

    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
