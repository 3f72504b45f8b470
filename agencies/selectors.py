"""Reads for agencies and staff."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from agencies.models import Agency, Invitation, Membership, StaffIntroduction
from agencies.tenancy import scopes_disabled


def agencies_for_user(user) -> list[Agency]:
    """The active agencies in which `user` holds an active membership (the agency switcher).
    A deliberate read across agencies, of the user's own memberships only."""
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return list(
            Agency.objects.filter(
                is_active=True, membership__user=user, membership__is_active=True
            ).order_by("name")
        )


def agency_membership_for(
    *, user, slug: str, note_other_agencies: bool = False
) -> tuple[Agency, Membership] | None:
    """The agency at `slug` and `user`'s active membership there, or None when the agency does
    not exist, is inactive, or the user is not an active member: callers answer all three with
    the same 404. Runs in one query, before any agency scope exists.

    With `note_other_agencies`, the membership also carries `user_has_other_agencies`: whether
    `user` is an active member of another active agency (the header's "Switch agency"), read
    in the same query, so as fresh as the membership itself."""
    if not user.is_authenticated:
        return None
    with scopes_disabled():
        memberships = Membership.objects.select_related("agency").filter(
            agency__slug=slug, agency__is_active=True, user=user, is_active=True
        )
        if note_other_agencies:
            others = Membership.objects.filter(
                user=user, is_active=True, agency__is_active=True
            ).exclude(agency=OuterRef("agency"))
            memberships = memberships.annotate(user_has_other_agencies=Exists(others))
        membership = memberships.order_by().first()  # one row at most: no need to sort
    if membership is None:
        return None
    return membership.agency, membership


def staff_list() -> QuerySet[Membership]:
    """Every membership of the agency in scope, with the user, for the staff page."""
    return Membership.objects.select_related("user").order_by("-is_active", "user__email")


def invitations_pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def introductions_of(membership: Membership) -> dict[str, StaffIntroduction]:
    """The staff member's introduction in each language they wrote it in, by language code."""
    return {row.language: row for row in StaffIntroduction.objects.filter(membership=membership)}


def introduction_for(membership_id: int | None, language: str) -> StaffIntroduction | None:
    """What a participant who reads `language` is shown about the staff member
    `membership_id` (their assigned peer): the introduction in that language, else one in
    another language (English first), else None. Nothing for a former staff member. One
    query."""
    if membership_id is None:
        return None
    rows = {
        row.language: row
        for row in StaffIntroduction.objects.filter(
            membership_id=membership_id, membership__is_active=True
        )
    }
    for code in (language, "en", *sorted(rows)):
        if code in rows:
            return rows[code]
    return None
