"""Reads for participants. Every lookup of a participant from a request goes through
`participants_visible_to`, so a peer cannot reach someone outside their caseload (404)."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import Membership, Role
from participants.language import language_hints
from participants.models import (
    BoundaryAgreement,
    BoundaryTemplate,
    ChannelConsent,
    CulturalProfile,
    LanguageTerm,
    Participant,
    PortalLink,
)


def participants_visible_to(membership: Membership) -> QuerySet[Participant]:
    """Supervisors and admins see the whole agency; a peer sees their caseload."""
    participants = Participant.objects.all()
    if not membership.sees_whole_agency:
        participants = participants.filter(assigned_peer=membership)
    return participants


# What the caseload table (alliance/selectors.py) loads of each participant itself: these
# columns only, and no join (the peer's name comes from `staff_names`, read once for the page:
# with many agencies present, PostgreSQL otherwise hashed every agency's memberships).
CASELOAD_COLUMNS = ("preferred_name", "pronouns", "status", "assigned_peer_id")


def peers_of_agency() -> QuerySet[Membership]:
    return Membership.objects.filter(role=Role.PEER, is_active=True).select_related("user")


@dataclass(frozen=True, slots=True)
class StaffName:
    name: str  # the full name, "" if none was given
    label: str  # the name, or the email address when there is no name
    active_peer: bool


def staff_names() -> dict[int, StaffName]:
    """Every membership of the agency (former staff too, whose names still label the
    participants they had) by id, in the memberships' order: one plain query."""
    rows = Membership.objects.values_list(
        "pk", "role", "is_active", "user__first_name", "user__last_name", "user__email"
    )
    return {
        pk: StaffName(
            name=f"{first} {last}".strip(),
            label=f"{first} {last}".strip() or email,
            active_peer=role == Role.PEER and is_active,
        )
        for pk, role, is_active, first, last, email in rows
    }


def peer_choices(staff: dict[int, StaffName] | None = None) -> list[tuple[int, str]]:
    """The agency's active peer specialists as (membership id, name), in the memberships'
    order, for a filter's choices (from `staff`, or read now)."""
    staff = staff_names() if staff is None else staff
    return [(pk, person.label) for pk, person in staff.items() if person.active_peer]


def profile_of(participant: Participant) -> CulturalProfile:
    return CulturalProfile.objects.get(participant=participant)


def channel_consents_of(participant: Participant) -> dict[str, ChannelConsent]:
    return {
        consent.channel: consent
        for consent in ChannelConsent.objects.filter(participant=participant)
    }


def boundary_template_current() -> BoundaryTemplate | None:
    return BoundaryTemplate.objects.order_by("-version").first()


def boundary_status(
    participant: Participant,
) -> tuple[BoundaryTemplate | None, BoundaryAgreement | None]:
    """The agency's current agreement and the participant's copy of it (None if not started)."""
    template = boundary_template_current()
    if template is None:
        return None, None
    agreement = BoundaryAgreement.objects.filter(participant=participant, template=template).first()
    return template, agreement


def portal_link_active(participant: Participant) -> PortalLink | None:
    return PortalLink.objects.filter(
        participant=participant, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def agency_language_terms() -> list[tuple[str, str]]:
    return list(LanguageTerm.objects.values_list("term", "alternative"))


def hints_for(text: str):
    return language_hints(text, agency_language_terms())
