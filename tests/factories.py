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
    agency = Agency.objects.create(slug=slug, name=fields.pop("name", f"Agency {slug}"), **fields)
    from alliance.checkins.services import instrument_install_default

    with agency_scope(agency):  # as every new agency gets it
        instrument_install_default(agency=agency)
    return agency


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
            signed_on=fields.pop("signed_on", participant.agency.today()),
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


def make_checkin_request(participant, *, channel="link"):
    """An open check-in request for the participant. Returns (request, raw token)."""
    from alliance.checkins.services import checkin_request_create

    with agency_scope(participant.agency_id):
        return checkin_request_create(participant=participant, channel=channel, created_by=None)


def make_alert(participant, *, scale_value=1):
    """A submitted check-in with every scale answer at `scale_value`, and its alert."""
    from alliance.checkins.models import Alert, CheckInRequest, InstrumentItem
    from alliance.checkins.services import checkin_submit

    checkin, _raw = make_checkin_request(participant)
    with agency_scope(participant.agency_id):
        checkin = CheckInRequest.objects.select_related("agency").get(pk=checkin.pk)
        items = list(InstrumentItem.objects.filter(instrument_id=checkin.instrument_id))
        answers = {str(item.pk): scale_value for item in items if item.kind == "scale"}
        response = checkin_submit(
            checkin=checkin, items=items, answers=answers, previous_percent=None
        )
        return Alert.objects.get(response=response)


IMPORT_HEADER = "Record Number,Preferred Name,Email,Mobile Phone,Enrolment Date,Language\n"


def make_import(agency, text: str = IMPORT_HEADER + "R-1,Dee,dee@example.org,,,\n", **fields):
    """An uploaded CSV import in `agency`, with the columns guessed."""
    from participants import imports
    from participants.models import ParticipantImport

    parsed = imports.parse_csv(text)
    with agency_scope(agency):
        return ParticipantImport.objects.create(
            agency=agency,
            created_by=fields.pop("created_by", None) or make_user(),
            filename="people.csv",
            csv_text=text,
            delimiter=parsed.delimiter,
            headers=parsed.headers,
            mapping=fields.pop("mapping", None) or imports.guess_mapping(parsed.headers),
            total_rows=len(parsed.rows),
            **fields,
        )


def make_dated_checkin_request(
    participant, *, channel="link", days_ago=0, revoked=False, expired=False
):
    """A check-in request for `participant` (the agency's default instrument, installed if
    missing), created `days_ago` days back; optionally revoked or already expired."""
    from alliance.checkins import services
    from alliance.checkins.models import CheckInRequest

    with agency_scope(participant.agency_id):
        agency = participant.agency
        instrument = services.instrument_default() or services.instrument_install_default(
            agency=agency
        )
        checkin, _raw = services.checkin_request_create(
            participant=participant, channel=channel, created_by=None, instrument=instrument
        )
        changes = {}
        if days_ago:
            changes["created_at"] = timezone.now() - timedelta(days=days_ago)
        if revoked:
            changes["revoked_at"] = timezone.now()
        if expired:
            changes["expires_at"] = timezone.now() - timedelta(minutes=1)
        if changes:
            CheckInRequest.objects.filter(pk=checkin.pk).update(**changes)
            checkin.refresh_from_db()
    return checkin


def make_checkin_response(
    participant,
    *,
    answers_by_practice: dict | None = None,
    scale_value: int = 4,
    text: str = "",
    days_ago: float = 0,
    channel: str = "link",
):
    """A check-in submitted through the services (scored, alerting on a dip) for
    `participant`: every scale item answered `scale_value` except the practices in
    `answers_by_practice` (None leaves that item unanswered), the open question answered
    `text` if given. `days_ago` moves the response, its request and its alert back in time."""
    from alliance.checkins import services
    from alliance.checkins.models import Alert, CheckInRequest, CheckInResponse, InstrumentItem

    by_practice = answers_by_practice or {}
    checkin = make_dated_checkin_request(participant, channel=channel)
    with agency_scope(participant.agency_id):
        items = list(
            InstrumentItem.objects.filter(instrument_id=checkin.instrument_id).order_by("position")
        )
        answers = {}
        for item in items:
            if item.kind == "scale":
                value = by_practice.get(item.practice, scale_value)
                if value is not None:
                    answers[str(item.pk)] = value
            elif text:
                answers[str(item.pk)] = text
        previous = (
            CheckInResponse.objects.filter(participant=participant)
            .order_by("-submitted_at")
            .values_list("percent", flat=True)
            .first()
        )
        response = services.checkin_submit(
            checkin=checkin, items=items, answers=answers, previous_percent=previous
        )
        if days_ago:
            when = timezone.now() - timedelta(days=days_ago)
            CheckInResponse.objects.filter(pk=response.pk).update(submitted_at=when)
            CheckInRequest.objects.filter(pk=checkin.pk).update(created_at=when, completed_at=when)
            Alert.objects.filter(response=response).update(created_at=when)
            response.refresh_from_db()
    return response


def make_goal(participant, *, words=None, created_by=None, **fields):
    """A goal of `participant`, created through the services (so its review reminder is
    planned when it has a review date and the participant a peer)."""
    from alliance.goals.services import goal_create

    with agency_scope(participant.agency_id):
        return goal_create(
            participant=participant,
            created_by=created_by or make_user(),
            words=words or f"Walk to the park every morning {next(_serial)}",
            **fields,
        )


def make_goal_step(goal, text=None, *, added_by=None):
    from alliance.goals.services import goal_step_add

    with agency_scope(goal.agency_id):
        return goal_step_add(
            goal=goal, text=text or f"Step {next(_serial)}", added_by=added_by or make_user()
        )


def make_commitment(participant, *, staff=None, hours_ahead=48, what="Call on Thursday at 3"):
    """An open staff commitment, made through the service (so its reminders exist)."""
    from datetime import timedelta

    from alliance.commitments.services import commitment_create

    with agency_scope(participant.agency_id):
        staff = staff or make_member(participant.agency, Role.PEER)
        return commitment_create(
            participant=participant,
            promised_by="staff",
            staff=staff,
            what=what,
            due_at=timezone.now() + timedelta(hours=hours_ahead),
            created_by=staff.user,
        )


def make_notification(membership, text="A check-in needs a look"):
    from alliance.messaging.models import Delivery, Notification

    with agency_scope(membership.agency_id):
        delivery = Delivery.objects.create(
            agency_id=membership.agency_id,
            kind="alert",
            subject_id=next(_serial),
            membership=membership,
            recipient_key=f"m:{membership.pk}",
            channel="in_app",
            due_at=timezone.now(),
            status="sent",
        )
        return Notification.objects.create(
            agency_id=membership.agency_id, membership=membership, delivery=delivery, text=text
        )


def make_api_key(agency, name: str = "Integration", *, access="read_write", resources=()):
    """An active API key of `agency`, read-write for every resource unless told. Returns
    (key, raw key)."""
    from agencies.api.keys import api_key_create

    return api_key_create(
        agency=agency, name=name, created_by=None, access=access, resources=resources
    )


def api_client(raw_key: str | None = None, **headers):
    """A DRF test client sending `raw_key` as the bearer key (JSON bodies by default)."""
    from rest_framework.test import APIClient

    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}", **headers)
    return client
