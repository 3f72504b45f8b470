"""The demo data set of `make run`: two agencies with staff in every role. Idempotent."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from agencies.models import Agency, Membership, Role, User
from agencies.tenancy import agency_scope

DEMO_PASSWORD = "rapport-demo-2026"  # noqa: S105 (demo accounts only, printed on purpose)
# A fixed, published secret: demo accounts only. Never use for a real account.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

AGENCIES = [
    {
        "slug": "harbor",
        "name": "Harbor Peer Recovery",
        "time_zone": "America/New_York",
        "default_language": "en",
    },
    {
        "slug": "mesa",
        "name": "Mesa Recovery Community",
        "time_zone": "America/Phoenix",
        "default_language": "es",
    },
]

# (email, first name, last name, [(agency slug, role)], needs MFA)
STAFF = [
    ("admin@harbor.example", "Alma", "Reyes", [("harbor", Role.ADMIN)], True),
    ("supervisor@harbor.example", "Sam", "Okafor", [("harbor", Role.SUPERVISOR)], False),
    ("peer@harbor.example", "Jordan", "Lee", [("harbor", Role.PEER)], False),
    ("peer2@harbor.example", "Riley", "Chen", [("harbor", Role.PEER)], False),
    ("admin@mesa.example", "Marisol", "Vega", [("mesa", Role.ADMIN)], True),
    ("supervisor@mesa.example", "Dana", "Begay", [("mesa", Role.SUPERVISOR)], False),
    ("peer@mesa.example", "Luis", "Torres", [("mesa", Role.PEER)], False),
    (
        "float@rapport.example",
        "Casey",
        "Morgan",
        [("harbor", Role.SUPERVISOR), ("mesa", Role.PEER)],
        False,
    ),
]
PLATFORM_ADMIN = "platform@rapport.example"


def _user(email, first_name="", last_name="", *, superuser=False, mfa=False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        create = User.objects.create_superuser if superuser else User.objects.create_user
        user = create(
            email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name
        )
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def seed_demo() -> list[tuple[str, str]]:
    """Create (or leave as they are) the demo agencies and staff. Returns (login, what) rows."""
    agencies = {}
    for spec in AGENCIES:
        agencies[spec["slug"]], _ = Agency.objects.get_or_create(slug=spec["slug"], defaults=spec)
    logins = []
    for email, first, last, places, mfa in STAFF:
        user = _user(email, first, last, mfa=mfa)
        for slug, role in places:
            with agency_scope(agencies[slug]):
                Membership.objects.get_or_create(
                    agency=agencies[slug], user=user, defaults={"role": role}
                )
        what = ", ".join(f"{Role(role).label} at {agencies[slug].name}" for slug, role in places)
        logins.append((email, what + (" (two-factor)" if mfa else "")))
    _user(PLATFORM_ADMIN, "Pat", "Platform", superuser=True, mfa=True)
    logins.append((PLATFORM_ADMIN, "platform admin, /admin/ (two-factor)"))

    from demo.people import seed_people  # the people served and their history

    for agency in agencies.values():
        with agency_scope(agency):
            seed_people(agency)
    return logins
