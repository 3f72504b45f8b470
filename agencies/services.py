"""Writes for agencies, staff and the audit trail. Views and tasks call these; nothing else
changes these tables. Each function must run inside the agency's scope (see tenancy.py)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.context import context_current
from agencies.models import (
    Agency,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    StaffIntroduction,
    User,
)
from agencies.tokens import token_new

log = logging.getLogger(__name__)


FROM_CONTEXT = object()  # audit_record's actor when the caller names none


def audit_record(
    *,
    agency: Agency,
    actor: User | None | object = FROM_CONTEXT,
    action: str,
    target=None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the agency's audit trail. Identifiers only, never names or scores.
    The request (or task) id comes from the context (agencies/context.py), and so does who
    acted unless the caller names them: the signed-in staff member, or a label (an API key, a
    task). `actor=None` says no staff member acted (a participant through their link)."""
    context = context_current()
    if actor is FROM_CONTEXT:
        actor = context.user
    person = actor if actor is not None and actor.is_authenticated else None
    label = actor_label or ("" if person else context.label)
    return AuditEvent.objects.create(
        agency=agency,
        actor=person,
        # Cut to the column, never refused: an audit event must not make its change fail.
        actor_label=label[: AuditEvent._meta.get_field("actor_label").max_length],
        action=action,
        object_type=target._meta.model_name if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        request_id=context.request_id[: AuditEvent._meta.get_field("request_id").max_length],
    )


# Invitations ---------------------------------------------------------------------------------


class InvitationUnusable(Exception):
    """The invitation was accepted, revoked or has expired in the meantime."""


class InvitationAlreadyOpen(Exception):
    """The address already has an open invitation to this agency."""


@dataclass
class NewInvitation:
    invitation: Invitation
    raw_token: str  # never stored: shown once (for copying), then forgotten
    # Whether the email went out: set once the invitation is committed (at once outside a
    # transaction); None until then.
    emailed: bool | None = None


@transaction.atomic
def invitation_create(*, agency: Agency, invited_by: User, email: str, role: str) -> NewInvitation:
    """Create an invitation and email its link once it is committed. If the mail server
    cannot take the email, the invitation stands and `emailed` says so: the admin passes on
    the link shown once."""
    email = email.strip().lower()
    now = timezone.now()
    # Expired invitations stop counting as open, so the address can be invited again.
    Invitation.objects.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
    ).update(revoked_at=now)
    raw_token, hashed = token_new()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                agency=agency,
                email=email,
                role=role,
                token_hash=hashed,
                invited_by=invited_by,
                expires_at=now + timedelta(days=agency.invitation_expiry_days),
            )
    except IntegrityError as error:
        raise InvitationAlreadyOpen() from error
    audit_record(
        agency=agency,
        actor=invited_by,
        action="invitation.created",
        target=invitation,
    )
    created = NewInvitation(invitation=invitation, raw_token=raw_token)
    link = invitation_link(raw_token)

    def email_send():
        created.emailed = _invitation_email_send(invitation, link)

    transaction.on_commit(email_send)
    return created


def invitation_link(raw_token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[raw_token])


def _invitation_email_send(invitation: Invitation, link: str) -> bool:
    # The expiry in the agency's time zone, labelled with that zone (the template's date
    # filter shows the active time zone's time).
    zone = invitation.agency.time_zone
    with translation.override(invitation.agency.default_language), timezone.override(zone):
        body = render_to_string(
            "agencies/email/invitation.txt",
            {
                "invitation": invitation,
                "link": link,
                "expires_at": invitation.expires_at,
                "time_zone": zone,
            },
        )
        try:
            # The subject names neither the agency nor its work: inboxes are often shared.
            send_mail(_("Your invitation to Rapport"), body, None, [invitation.email])
        except OSError as error:  # smtplib's errors and refused or broken connections
            log.warning("invitation %s: email not sent (%s)", invitation.pk, type(error).__name__)
            return False
    return True


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, revoked_by: User) -> None:
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if updated:
        audit_record(
            agency=invitation.agency,
            actor=revoked_by,
            action="invitation.revoked",
            target=invitation,
        )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Spend the invitation and give `user` the invited role in the agency.

    The conditional update makes a double submit (or two tabs) accept once; the loser gets
    InvitationUnusable. An earlier, deactivated membership is brought back with the new role.
    """
    now = timezone.now()
    spent = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(accepted_at=now, accepted_by=user)
    if not spent:
        raise InvitationUnusable()
    membership, _created = Membership.objects.update_or_create(
        agency=invitation.agency,
        user=user,
        defaults={"role": invitation.role, "is_active": True},
    )
    audit_record(
        agency=invitation.agency,
        actor=user,
        action="invitation.accepted",
        target=membership,
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *, invitation: Invitation, first_name: str, last_name: str, password: str
) -> User:
    """Create the staff account for the invited address, then accept the invitation."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(
        email=invitation.email, password=password, first_name=first_name, last_name=last_name
    )
    # The invitation link reached this address, which proves the person can read its mail.
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    invitation_accept(invitation=invitation, user=user)
    return user


# Staff ---------------------------------------------------------------------------------------


def _ensure_an_admin_remains(
    membership: Membership, *, new_role: str | None, deactivating: bool
) -> None:
    losing_admin = (
        membership.role == Role.ADMIN
        and membership.is_active
        and (deactivating or new_role != Role.ADMIN)
    )
    if not losing_admin:
        return
    other_admins = Membership.objects.filter(role=Role.ADMIN, is_active=True).exclude(
        pk=membership.pk
    )
    if not other_admins.exists():
        raise PermissionDenied(_("An agency needs at least one active admin."))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, changed_by: User) -> Membership:
    if role == membership.role:
        return membership
    _ensure_an_admin_remains(membership, new_role=role, deactivating=False)
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        agency=membership.agency,
        actor=changed_by,
        action="membership.role_changed",
        target=membership,
    )
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, deactivated_by: User) -> None:
    """Take the person out of the agency and end every session they have open, so the change
    holds at once rather than at their next sign-in."""
    from allauth.usersessions.models import UserSession

    if membership.user_id == deactivated_by.pk:
        raise PermissionDenied(_("You cannot deactivate yourself."))
    _ensure_an_admin_remains(membership, new_role=None, deactivating=True)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    for session in UserSession.objects.filter(user_id=membership.user_id):
        session.end()
    audit_record(
        agency=membership.agency,
        actor=deactivated_by,
        action="membership.deactivated",
        target=membership,
    )


@transaction.atomic
def agency_settings_update(*, agency: Agency, changed_by: User, data: dict) -> Agency:
    """Change the agency's settings to `data` (validated, e.g. an AgencySettingsForm's cleaned
    data) and record that they changed."""
    for name, value in data.items():
        setattr(agency, name, value)
    agency.save(update_fields=list(data))
    audit_record(
        agency=agency,
        actor=changed_by,
        action="agency.settings_changed",
        target=agency,
    )
    return agency


# Staff introductions (what participants read about their peer) -------------------------------


@transaction.atomic
def introduction_save(*, membership: Membership, data: dict[str, dict]) -> list[StaffIntroduction]:
    """Store the staff member's introduction in each language of `data` ({"en": {...},
    "es": {...}}, each a validated IntroductionForm's cleaned data). A language left wholly
    blank is removed: nothing is required. One audit event names the membership, never the
    words. Returns the introductions kept."""
    kept = []
    for language, fields in data.items():
        values = {name: (fields.get(name) or "").strip() for name in StaffIntroduction.TEXT_FIELDS}
        if not any(values.values()):
            StaffIntroduction.objects.filter(membership=membership, language=language).delete()
            continue
        introduction, _created = StaffIntroduction.objects.update_or_create(
            agency=membership.agency,
            membership=membership,
            language=language,
            defaults={**values, "updated_at": timezone.now()},
        )
        kept.append(introduction)
    audit_record(
        agency=membership.agency,
        actor=membership.user,
        action="membership.introduction_saved",
        target=membership,
    )
    return kept


def user_language_set(*, user: User, language: str) -> None:
    """Keep the staff member's language ("" for the browser's). A preference about the
    person's own pages, not about anyone's record: not audited."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
